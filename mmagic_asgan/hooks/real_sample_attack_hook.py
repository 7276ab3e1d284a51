"""``RealSampleAttackHook``: turns AS-GAN on for an existing MMagic GAN.

At each D step (:class:`~.discriminator_step.DiscriminatorStepHook` finds it):
D's own call on the real batch is intercepted, and

* ``mode='replace'``: the reals in that call are replaced by ``x_adv``, crafted
  by attacking D *with the same arguments* (labels, scale, transition weight);
* ``mode='mix'``: the call is left as it is, and the AS term
  ``w * (L_r(D(x_adv)) - L_r(D(x)))`` (D called through its DDP wrapper with the
  same arguments) is added to the loss the model hands its optimizer wrapper,
  before its single update;
* ``attack='free'``: no attack pass; ``x_adv`` is the reals plus a perturbation
  carried across D steps and updated, after the update, from the input
  gradient the step's own backward left on ``x_adv``.

Before each iteration the epsilon schedule (a function of ``runner.iter``, so
resume continues it) sets this iteration's budget; telemetry is recorded every
``log_interval`` iterations into the message hub (so the log line and
TensorBoard). The hook never branches on data: a sample whose input gradient is
not finite keeps a zero perturbation and is counted on the device; the count is
read only when telemetry is logged, so every rank takes the same code path.
"""
import warnings
from typing import Dict, Optional, Union

import torch
from mmengine.logging import MessageHub, print_log
from torch import Tensor

from mmagic.registry import HOOKS, MODELS

from ..gan_terms import DECISION_THRESHOLDS, GAN_TYPES, gan_type_of
from ..module_state import frozen
from ..schedules import EpsilonSchedule
from .discriminator_step import DiscriminatorStepHook, RealCall
from .rank_states import RankStates, this_ranks


@HOOKS.register_module()
class RealSampleAttackHook(DiscriminatorStepHook):
    """Adversarial training of D on real samples (AS-GAN) for any MMagic GAN.

    Args:
        loss (dict, optional): config of the :class:`ASGANDiscriminatorLoss`
            (``type`` may be omitted).
        schedule (str | dict): epsilon schedule, a
            :class:`~mmagic_asgan.schedules.EpsilonSchedule` config or just its
            type: ``'constant'`` (default), ``'linear'``, ``'cosine'``, with
            ``begin``, ``end``, ``warmup_iters``, ``final_ratio``.
        interval (int): attack every ``interval``-th D step (``runner.iter``).
        log_interval (int, optional): iterations between telemetry records;
            defaults to the LoggerHook's interval.
        real_batch (str): where the model hands over the real batch
            (``'auto'``, ``'inputs'``, ``'gt_img'``, ``'inputs.img'``).
        input_range (tuple, optional): ``(low, high)``, the values D sees for
            pixel 0 and 255; defaults to the data preprocessor's mean/std.
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
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'RealSampleAttackHook: interval must be an int >= 1, got {interval!r}')
        if log_interval is not None and (not isinstance(log_interval, int) or log_interval < 1):
            raise ValueError('RealSampleAttackHook: log_interval must be None or an int >= 1, '
                             f'got {log_interval!r}')
        self.interval = interval
        self.log_interval = log_interval
        self.nonfinite: Optional[Tensor] = None  # device counter, read only when logging
        self._telemetry = False
        self._x_adv: Optional[Tensor] = None
        self._loss_scaler = None
        self._free_states = RankStates(lambda: self.loss.free.state_dict())

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
            self.loss.gan_type = gan_type
        self.loss.set_input_range(lower, upper)
        self.schedule.bind(runner.max_iters)
        if self.log_interval is None:
            logger = next((h for h in runner.hooks if type(h).__name__ == 'LoggerHook'), None)
            self.log_interval = getattr(logger, 'interval', 50)
        print_log(f'RealSampleAttackHook: AS-GAN on {name} ({self.loss.extra_repr()}, '
                  f'{self.schedule}, interval={self.interval}, D input range '
                  f'{lower.tolist()}..{upper.tolist()})', logger='current')

    def step_active(self, runner) -> bool:
        epsilon = self.loss.epsilon * self.schedule(runner.iter)
        self.loss.current_epsilon = epsilon
        active = epsilon > 0 and runner.iter % self.interval == 0
        self._telemetry = active and (runner.iter + 1) % self.log_interval == 0
        self.loss.measure_time = self._telemetry
        runner.message_hub.update_scalar('train/asgan_eps', epsilon)
        return active

    # ------------------------------------------------------------- the D step
    def replace_input(self, call: RealCall) -> Optional[Tensor]:
        real = call.real
        if self.loss.free is not None:
            x_adv = self.loss.free_start(real)
        else:
            with frozen(call.module):
                x_adv = self.loss.perturb(call, real, self._loss_scaler)
        self._count_nonfinite(self.loss.last_stats['nonfinite'])
        self._x_adv = x_adv
        if self._telemetry:
            self._record_telemetry(call, x_adv)
        return x_adv if self.loss.mode == 'replace' else None

    def extra_loss(self, call: RealCall, output) -> Dict[str, Tensor]:
        if self.loss.mode == 'replace':
            return {}
        pred_adv = call(self._x_adv, through=self.model.discriminator)
        return {self.loss.loss_name(): self.loss.adversarial_term(pred_adv, output)}

    def after_d_step(self, call: RealCall) -> None:
        if self.loss.free is not None:
            self._count_nonfinite(self.loss.free_update(self._x_adv))
        self._x_adv = None

    def _train_discriminator(self, inputs, data_samples, optimizer_wrapper):
        self._loss_scaler = getattr(optimizer_wrapper, 'loss_scaler', None)
        return super()._train_discriminator(inputs, data_samples, optimizer_wrapper)

    def _count_nonfinite(self, count: Tensor) -> None:
        self.nonfinite = count if self.nonfinite is None else self.nonfinite + count

    # -------------------------------------------------------------- telemetry
    @torch.no_grad()
    def _record_telemetry(self, call: RealCall, x_adv: Tensor) -> None:
        """D's mean score on clean and adversarial reals, the share of reals it
        called real before and fake after, the perturbation size, the attack
        time, the non-finite count: into the message hub."""
        threshold = DECISION_THRESHOLDS[self.loss.resolved_gan_type()]
        with frozen(call.module) as d_module:
            clean = call(call.real.detach(), d_module).flatten(1).mean(1)
            adv = call(x_adv.detach(), d_module).flatten(1).mean(1)
        flipped = ((clean > threshold) & (adv <= threshold)).float().mean()
        stats = self.loss.last_stats
        hub = MessageHub.get_current_instance()
        for key, value in (('asgan_d_real_clean', clean.mean()), ('asgan_d_real_adv', adv.mean()),
                           ('asgan_flip_rate', flipped),
                           ('asgan_pert_norm', stats['perturbation_norm']),
                           ('asgan_attack_time', stats['attack_time']),
                           ('asgan_nonfinite', self.nonfinite)):
            hub.update_scalar(f'train/{key}', value)

    # ``attack='free'`` carries its perturbation across D steps: checkpoint it
    # (every rank's, as each rank perturbs its own batches) so resume is exact.
    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.loss.free is not None:
            self._free_states.after_train_iter(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = self._free_states.for_checkpoint(runner) if self.loss.free is not None else None
        if states is not None:
            checkpoint['asgan_free_perturbation'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('asgan_free_perturbation')
        if self.loss.free is None or states is None:
            return
        state = this_ranks(states, 'free perturbations (RealSampleAttackHook)')
        if state is not None:
            self.loss.free.load_state_dict(state)

    def after_train(self, runner) -> None:
        count = int(self.nonfinite) if self.nonfinite is not None else 0
        if count:
            message = (f'RealSampleAttackHook: {count} real sample(s) got no perturbation because '
                       'their input gradient was not finite (asgan_nonfinite)')
            print_log(message, logger='current', level=30)
            warnings.warn(message)
