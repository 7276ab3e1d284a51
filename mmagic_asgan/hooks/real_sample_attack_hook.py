"""``RealSampleAttackHook``: turns AS-GAN on for an existing MMagic GAN.

At each D step (:class:`~.discriminator_step.DiscriminatorStepHook` finds it):
D's own call on the real batch is intercepted, and

* ``mode='replace'``: the reals in that call are replaced by ``x_adv``, crafted
  by attacking D *with the same arguments* (labels, scale, transition weight);
* ``mode='mix'``: the AS term ``k * w * (L_r(D(x_adv)) - L_r(D(x)))`` (D called
  through its DDP wrapper with the same arguments; ``k`` the lazy interval) is
  added to the loss the model hands its optimizer wrapper, before its single
  update. Without a random start the attack's first input gradient comes from
  D's own call on the reals, made on a leaf that requires grad (FGSM costs no
  pass of its own);
* ``attack='free'``: no attack pass; ``x_adv`` is the reals plus a perturbation
  carried across D steps and updated, after the update, from the input
  gradient the step's own backward left on ``x_adv``.

Before each iteration the epsilon schedule (a function of ``runner.iter``, so
resume continues it) sets this iteration's budget; telemetry is recorded every
``log_interval`` iterations into the message hub (so the log line and
TensorBoard). The hook never branches on data and never reads a device value
outside telemetry steps (no host sync): a sample whose input gradient is not
finite keeps a zero perturbation and is counted on the device; the count is
read only when telemetry is logged, so every rank takes the same code path.
"""
import time
import warnings
from contextlib import nullcontext
from typing import Dict, Optional, Union

import torch
from mmengine.logging import MessageHub, print_log
from torch import Tensor

from mmagic.registry import HOOKS, MODELS

from ..adaptive_strength import AdaptiveStrength
from ..attacks import perturbation_norm
from ..free_perturbation import FreePerturbation
from ..gan_terms import DECISION_THRESHOLDS, GAN_TYPES, gan_type_of
from ..input_range import InputRange
from ..module_state import frozen
from ..schedules import EpsilonSchedule
from .discriminator_step import DiscriminatorStepHook, RealCall
from .rank_states import RankStates, this_ranks

NONFINITE_CAUSE = ('likely cause: an fp16 overflow in D under mixed precision (try '
                   '--amp-dtype bfloat16) or a non-finite D output')


@HOOKS.register_module()
class RealSampleAttackHook(DiscriminatorStepHook):
    """Adversarial training of D on real samples (AS-GAN) for any MMagic GAN.

    The hook decides *when* (schedule, interval, which D call) and owns the
    run's state: this iteration's epsilon (:attr:`epsilon_now`), the free
    attack's perturbation (:attr:`free`), the non-finite counter
    (:attr:`nonfinite`) and the telemetry. The loss it builds is configuration
    with pure methods (*what*); :mod:`mmagic_asgan.attacks` is *how*.

    Args:
        loss (dict, optional): config of the :class:`ASGANDiscriminatorLoss`
            (``type`` may be omitted).
        schedule (str | dict): epsilon schedule, a
            :class:`~mmagic_asgan.schedules.EpsilonSchedule` config or just its
            type: ``'constant'`` (default), ``'linear'``, ``'cosine'``, with
            ``begin``, ``end``, ``warmup_iters``, ``final_ratio``.
        interval (int): lazy AS-GAN: the adversarial term is added every
            ``interval``-th D step (``runner.iter``) with its weight multiplied
            by ``interval`` (StyleGAN2's lazy R1; optimizer settings are left as
            they are). ``mode='mix'`` only. Defaults to 1.
        log_interval (int, optional): iterations between telemetry records;
            defaults to the LoggerHook's interval.
        real_batch (str): where the model hands over the real batch
            (``'auto'``, ``'inputs'``, ``'gt_img'``, ``'inputs.img'``).
        input_range (tuple, optional): ``(low, high)``, the values D sees for
            pixel 0 and 255; defaults to the data preprocessor's mean/std.
        reuse_clean_call (bool): ``mode='mix'`` without ``random_start``: take
            the attack's first input gradient from D's own call on the reals
            (made on a leaf that requires grad) instead of a separate pass; the
            same batch statistics and spectral-norm sigma, one forward fewer.
            Defaults to True.
        adaptive (dict, optional): an adaptive budget, ADA's controller
            (:class:`~mmagic_asgan.adaptive_strength.AdaptiveStrength`: ``target``,
            ``interval``, ``kimg``, ``initial``): this iteration's epsilon is
            ``epsilon * schedule * p``, ``p`` in [0, 1] raised while D calls more
            than ``target`` of the reals it trains on (net of signs) real, lowered
            otherwise. Needs a loss with a real/fake threshold (not WGAN).
        **loss_fields: shorthand for fields of ``loss`` (``epsilon=8/255``,
            ``attack='pgd'`` ...); they override ``loss``.

    Example:
        >>> custom_hooks = _base_.get('custom_hooks', []) + [
        ...     dict(type='RealSampleAttackHook', attack='fgsm', epsilon=2 / 255,
        ...          schedule=dict(type='constant', warmup_iters=1000))]
    """
    name = 'RealSampleAttackHook'

    def __init__(self,
                 loss: Optional[dict] = None,
                 schedule: Union[str, dict] = 'constant',
                 interval: int = 1,
                 log_interval: Optional[int] = None,
                 real_batch: str = 'auto',
                 input_range=None,
                 reuse_clean_call: bool = True,
                 adaptive: Optional[dict] = None,
                 **loss_fields) -> None:
        super().__init__(real_batch, input_range)
        loss_cfg = dict(type='ASGANDiscriminatorLoss')
        loss_cfg.update(loss or {})
        loss_cfg.update(loss_fields)
        self.loss = MODELS.build(loss_cfg)
        if isinstance(schedule, str):
            schedule = dict(type=schedule)
        if not isinstance(schedule, dict):
            raise ValueError(f'RealSampleAttackHook: schedule must be a str or a dict, '
                             f'got {schedule!r}')
        self.schedule = EpsilonSchedule(**schedule)
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError('RealSampleAttackHook: interval must be an int >= 1, '
                             f'got {interval!r}')
        if interval > 1 and self.loss.mode != 'mix':
            raise ValueError("RealSampleAttackHook: interval must be 1 with mode='replace' (lazy "
                             'regularisation multiplies the mix term by the interval; replace '
                             f'has no term to scale), got {interval!r}')
        if log_interval is not None and (not isinstance(log_interval, int) or log_interval < 1):
            raise ValueError('RealSampleAttackHook: log_interval must be None or an int >= 1, '
                             f'got {log_interval!r}')
        if not isinstance(reuse_clean_call, bool):
            raise ValueError('RealSampleAttackHook: reuse_clean_call must be a bool, '
                             f'got {reuse_clean_call!r}')
        if adaptive is not None and not isinstance(adaptive, dict):
            raise ValueError('RealSampleAttackHook: adaptive must be None or a dict (target, '
                             f'interval, kimg, initial), got {adaptive!r}')
        self.interval = interval
        self.log_interval = log_interval
        self.reuse_clean_call = reuse_clean_call
        # the run's state
        self.epsilon_now = 0.0  # this iteration's budget, image scale
        self.nonfinite: Optional[Tensor] = None  # device counter, read only when logging
        self.free = (FreePerturbation(self.loss.norm, self.loss.random_start)
                     if self.loss.attack == 'free' else None)
        self.adaptive = AdaptiveStrength(**adaptive) if adaptive is not None else None
        self.d_input_range: Optional[InputRange] = None
        self._telemetry = False
        self._warned_nonfinite = False
        self._free_states = RankStates(lambda: self.free.state_dict())
        self._adaptive_states = RankStates(lambda: self.adaptive.state_dict())
        # one D step's scratch
        self._x_adv: Optional[Tensor] = None
        self._leaf: Optional[Tensor] = None

    # ------------------------------------------------------------------ set-up
    def setup(self, runner, model, lower: Tensor, upper: Tensor) -> None:
        name = type(model).__name__
        if self.loss.gan_type == 'auto':
            gan_type = gan_type_of(model)
            if gan_type is None:
                raise RuntimeError(
                    f'RealSampleAttackHook: cannot tell the discriminator loss of {name}; set '
                    f'gan_type to the one its disc_loss uses, one of {GAN_TYPES} (e.g. '
                    "dict(type='RealSampleAttackHook', gan_type='hinge', ...))")
            self.loss = self.loss.with_gan_type(gan_type)
        if self.adaptive is not None and self.loss.resolved_gan_type().startswith('wgan'):
            raise RuntimeError(
                f'RealSampleAttackHook: adaptive needs a D loss with a real/fake threshold '
                f'(vanilla, hinge, lsgan); {name} trains with '
                f"gan_type={self.loss.resolved_gan_type()!r}, whose scores have no sign to count")
        self.d_input_range = InputRange(lower, upper)
        self.schedule.bind(runner.max_iters)
        if self.log_interval is None:
            logger = next((h for h in runner.hooks if type(h).__name__ == 'LoggerHook'), None)
            self.log_interval = getattr(logger, 'interval', 50)
        print_log(f'RealSampleAttackHook: AS-GAN on {name} ({self.loss.extra_repr()}, '
                  f'{self.schedule}, interval={self.interval}, attack pass: '
                  f"{'shared with D on the reals' if self._reuses_clean_call else 'separate'}, "
                  f'{self.adaptive or "fixed budget"}, '
                  f'D input range {lower.tolist()}..{upper.tolist()})', logger='current')

    @property
    def _reuses_clean_call(self) -> bool:
        return (self.reuse_clean_call and self.loss.mode == 'mix' and self.free is None
                and not self.loss.random_start)

    def acts_at(self, iteration: int) -> bool:
        return self.loss.epsilon * self.schedule(iteration) > 0 and iteration % self.interval == 0

    def update_iteration_state(self, runner) -> None:
        self.epsilon_now = self.loss.epsilon * self.schedule(runner.iter)
        if self.adaptive is not None:
            if self.adaptive.due(runner.iter) and self.adaptive.adjust() is not None:
                runner.message_hub.update_scalar('train/asgan_ada_rt', self.adaptive.last_rt)
            self.epsilon_now *= self.adaptive.strength
            runner.message_hub.update_scalar('train/asgan_ada_strength', self.adaptive.strength)
        self._telemetry = self.acts_at(runner.iter) and (runner.iter + 1) % self.log_interval == 0
        runner.message_hub.update_scalar('train/asgan_eps', self.epsilon_now)

    # ------------------------------------------------------------- the D step
    def replace_input(self, call: RealCall) -> Optional[Tensor]:
        real = call.real
        if self.free is not None:
            start = self._clock(real)
            self._x_adv = self.free.apply(real, self.epsilon_now, *self.d_input_range.on(real))
            if self._telemetry:
                self._record_telemetry(call, real, self._x_adv, self._clock(real) - start)
        elif self._reuses_clean_call:
            self._leaf = real.detach().requires_grad_(True)
            return self._leaf  # D's own call gives the first input gradient
        else:
            self._x_adv = self._attack(call, real)
        return self._x_adv if self.loss.mode == 'replace' else None

    def extra_loss(self, call: RealCall, output) -> Dict[str, Tensor]:
        if self.adaptive is not None:  # D's scores on the reals it trains on
            self.adaptive.observe(output, DECISION_THRESHOLDS[self.loss.resolved_gan_type()])
        if self.loss.mode == 'replace':
            return {}
        if self._leaf is not None:
            self._x_adv = self._attack(call, self._leaf.detach(), clean_call=(output, self._leaf))
        pred_adv = call(self._x_adv, through=self.model.discriminator)
        return {self.loss.loss_name(): self.loss.adversarial_term(pred_adv, output,
                                                                  gain=self.interval)}

    def after_d_step(self, call: RealCall) -> None:
        if self.free is not None:
            step_size = self.loss.step_size_at(self.epsilon_now)
            self._count_nonfinite(self.free.update(
                self._x_adv, self.epsilon_now,
                self.epsilon_now if step_size is None else step_size,
                self.d_input_range.on(self._x_adv)[0]))
        self._x_adv = self._leaf = None

    def _attack(self, call: RealCall, real: Tensor, clean_call: Optional[tuple] = None) -> Tensor:
        """``x_adv`` for this D step: the loss's attack on the frozen D, its
        first gradient from ``clean_call`` = (D's output on the reals, the leaf
        it was called on) when given (FGSM then needs no pass of its own)."""
        start = self._clock(real)
        first_grad = self.loss.input_gradient(*clean_call) if clean_call else None
        needs_pass = first_grad is None or self.loss.attack != 'fgsm'
        with frozen(call.module) if needs_pass else nullcontext():
            result = self.loss.perturb(call, real, self.epsilon_now, self.d_input_range, first_grad)
        self._count_nonfinite(result.nonfinite)
        if self._telemetry:
            self._record_telemetry(call, real, result.x_adv, self._clock(real) - start)
        return result.x_adv

    def _clock(self, like: Tensor) -> float:
        """Wall time, after the device's queued work on telemetry steps only."""
        if self._telemetry and like.is_cuda:
            torch.cuda.synchronize(like.device)
        return time.perf_counter()

    def _count_nonfinite(self, count: Tensor) -> None:
        self.nonfinite = count if self.nonfinite is None else self.nonfinite + count

    # -------------------------------------------------------------- telemetry
    @torch.no_grad()
    def _record_telemetry(self, call: RealCall, real: Tensor, x_adv: Tensor,
                          attack_time: float) -> None:
        """D's mean score on clean and adversarial reals, the share of reals it
        called real before and fake after, the perturbation size, the attack
        time, the non-finite count: into the message hub (so the log line and
        TensorBoard). Warns at the first record that counts a non-finite sample."""
        threshold = DECISION_THRESHOLDS[self.loss.resolved_gan_type()]
        real, x_adv = real.detach(), x_adv.detach()
        with frozen(call.module) as d_module:
            clean = call(real, d_module).flatten(1).mean(1)
            adv = call(x_adv, d_module).flatten(1).mean(1)
        flipped = ((clean > threshold) & (adv <= threshold)).float().mean()
        scale = self.d_input_range.on(real)[0]
        size = perturbation_norm(x_adv - real, self.loss.norm, scale).mean()
        nonfinite = self.nonfinite if self.nonfinite is not None else torch.zeros(())
        hub = MessageHub.get_current_instance()
        for key, value in (('asgan_d_real_clean', clean.mean()), ('asgan_d_real_adv', adv.mean()),
                           ('asgan_flip_rate', flipped), ('asgan_pert_norm', size),
                           ('asgan_attack_time', attack_time), ('asgan_nonfinite', nonfinite)):
            hub.update_scalar(f'train/{key}', value)
        count = int(nonfinite)
        if count and not self._warned_nonfinite:
            self._warned_nonfinite = True
            message = (f'RealSampleAttackHook: {count} real sample(s) so far got no perturbation '
                       'because their input gradient was not finite (asgan_nonfinite); '
                       f'{NONFINITE_CAUSE}')
            print_log(message, logger='current', level=30)
            warnings.warn(message)

    # ``attack='free'`` carries its perturbation across D steps, ``adaptive`` its
    # strength and running sums: checkpoint them (every rank's, as each rank
    # perturbs and scores its own batches) so resume is exact.
    def _carried(self):
        """(state object, its RankStates, checkpoint key, what) of each carried state."""
        return [(obj, states, key, what) for obj, states, key, what in (
            (self.free, self._free_states, 'asgan_free_perturbation', 'free perturbations'),
            (self.adaptive, self._adaptive_states, 'asgan_adaptive_strength',
             'adaptive strengths')) if obj is not None]

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for _, states, _, _ in self._carried():
            states.after_train_iter(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        for _, states, key, _ in self._carried():
            gathered = states.for_checkpoint(runner)
            if gathered is not None:
                checkpoint[key] = gathered

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        for obj, _, key, what in self._carried():
            if checkpoint.get(key) is not None:
                state = this_ranks(checkpoint[key], f'{what} (RealSampleAttackHook)')
                if state is not None:
                    obj.load_state_dict(state)

    def after_train(self, runner) -> None:
        count = int(self.nonfinite) if self.nonfinite is not None else 0
        if count:
            message = (f'RealSampleAttackHook: {count} real sample(s) got no perturbation because '
                       f'their input gradient was not finite (asgan_nonfinite); {NONFINITE_CAUSE}')
            print_log(message, logger='current', level=30)
            if not self._warned_nonfinite:
                warnings.warn(message)
