"""``RealSampleAttackHook``: turns AS-GAN on for an existing MMagic GAN.

Every stock unconditional MMagic GAN hard-codes its D loss inside
``train_discriminator``, so a loss module in the config is never called. The
hook installs itself on the model's discriminator step instead:

* ``before_train``: finds the GAN (unwrapping DDP), checks that it can be
  handled, reads D's input normalization from the model's data preprocessor,
  resolves ``gan_type`` from the model class, and replaces the *instance*
  attribute ``model.train_discriminator`` by a wrapper (idempotent; nothing
  enters the state dict).
* ``before_train_iter``: epsilon for this iteration from the schedule and
  ``runner.iter`` (so resume continues it exactly); whether this D step attacks.
* each D step (the wrapper): real batch ``x = data_samples.gt_img`` ->
  ``loss.perturb(D, x)`` -> ``x_adv`` (``attack='free'``: ``x`` plus the
  persisted perturbation, updated after the step from the input gradient the
  step's own backward left on ``x_adv``); then the model's own
  ``train_discriminator`` runs, either on ``x_adv`` in place of ``x``
  (``mode='replace'``) or unchanged with the AS term added to its loss before
  its single optimizer update (``mode='mix'``, through a proxy optimizer
  wrapper). One backward, one step, through the DDP wrapper.
* telemetry every ``log_interval`` iterations into the message hub (so into
  the log line and TensorBoard).
"""
import warnings
from typing import Callable, Optional, Union

import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, print_log
from torch import Tensor

from mmagic.registry import HOOKS, MODELS

from ..gan_terms import DECISION_THRESHOLDS, GAN_TYPES, gan_type_of
from ..module_state import frozen, unwrap
from ..schedules import EpsilonSchedule
from .rank_states import RankStates, this_ranks

_INSTALLED = '_asgan_original_train_discriminator'


class _AddTermOptimWrapper:
    """Forwards everything to an optimizer wrapper, adding a term to the loss
    that the model hands to ``update_params`` (or ``backward``)."""

    def __init__(self, optim_wrapper, make_term: Callable[[], Tensor]) -> None:
        self._optim_wrapper = optim_wrapper
        self._make_term = make_term
        self.term: Optional[Tensor] = None

    def _with_term(self, loss: Tensor) -> Tensor:
        if self.term is not None:
            raise RuntimeError('RealSampleAttackHook: the discriminator step updated D twice; '
                               "the AS term is added once per step (use mode='replace')")
        self.term = self._make_term()
        return loss + self.term

    def update_params(self, loss: Tensor, *args, **kwargs):
        return self._optim_wrapper.update_params(self._with_term(loss), *args, **kwargs)

    def backward(self, loss: Tensor, **kwargs):
        return self._optim_wrapper.backward(self._with_term(loss), **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._optim_wrapper, name)


class _CaptureOutput:
    """Forward hook on D that keeps D's output for one given input tensor."""

    def __init__(self, module: torch.nn.Module, target: Tensor) -> None:
        self.target = target
        self.output: Optional[Tensor] = None
        self._handle = module.register_forward_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs, output) -> None:
        x = args[0] if args else next(iter(kwargs.values()), None)
        if (self.output is None and isinstance(x, Tensor) and x.shape == self.target.shape
                and x.data_ptr() == self.target.data_ptr()):
            self.output = output

    def remove(self) -> None:
        self._handle.remove()


@HOOKS.register_module()
class RealSampleAttackHook(Hook):
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
        **loss_fields: shorthand for fields of ``loss`` (``epsilon=8/255``,
            ``attack='pgd'`` ...); they override ``loss``.

    Example:
        >>> custom_hooks = _base_.custom_hooks + [
        ...     dict(type='RealSampleAttackHook', attack='fgsm', epsilon=2 / 255,
        ...          schedule=dict(type='constant', warmup_iters=1000))]
    """
    priority = 'NORMAL'

    def __init__(self,
                 loss: Optional[dict] = None,
                 schedule: Union[str, dict] = 'constant',
                 interval: int = 1,
                 log_interval: Optional[int] = None,
                 **loss_fields) -> None:
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
        self.skipped = 0
        self._active = False
        self._telemetry = False
        self._model = None
        self._free_states = RankStates(lambda: self.loss.free.state_dict())

    # ------------------------------------------------------------- installing
    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        name = type(model).__name__
        if getattr(model, 'discriminator', None) is None:
            raise RuntimeError(f'RealSampleAttackHook: {name} has no discriminator; AS-GAN trains '
                               'a GAN discriminator on adversarial reals. Remove the hook or use '
                               'a GAN model.')
        if not callable(getattr(model, 'train_discriminator', None)):
            raise RuntimeError(f'RealSampleAttackHook: {name} has no train_discriminator method '
                               '(an MMagic BaseGAN subclass is expected)')
        if self.loss.gan_type == 'auto':
            gan_type = gan_type_of(model)
            if gan_type is None:
                raise RuntimeError(
                    f'RealSampleAttackHook: cannot tell the discriminator loss of {name}; set '
                    f'gan_type to the one its disc_loss uses, one of {GAN_TYPES} (e.g. '
                    "dict(type='RealSampleAttackHook', gan_type='hinge', ...))")
            self.loss.gan_type = gan_type
        preprocessor = getattr(model, 'data_preprocessor', None)
        normalize = getattr(preprocessor, '_enable_normalize', False)
        self.loss.set_normalization(getattr(preprocessor, 'mean', None) if normalize else None,
                                    getattr(preprocessor, 'std', None) if normalize else None)
        self.schedule.bind(runner.max_iters)
        if self.log_interval is None:
            logger = next((h for h in runner.hooks if type(h).__name__ == 'LoggerHook'), None)
            self.log_interval = getattr(logger, 'interval', 50)
        self._model = model
        if not hasattr(model, _INSTALLED):
            setattr(model, _INSTALLED, model.train_discriminator)
            model.train_discriminator = self._train_discriminator
        print_log(f'RealSampleAttackHook: AS-GAN on {name} ({self.loss.extra_repr()}, '
                  f'{self.schedule}, interval={self.interval})', logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        epsilon = self.loss.epsilon * self.schedule(runner.iter)
        self.loss.current_epsilon = epsilon
        self._active = epsilon > 0 and runner.iter % self.interval == 0
        self._telemetry = self._active and (runner.iter + 1) % self.log_interval == 0
        self.loss.measure_time = self._telemetry
        runner.message_hub.update_scalar('train/asgan_eps', epsilon)

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
        if self.skipped:
            print_log(f'RealSampleAttackHook: {self.skipped} attack(s) skipped for non-finite '
                      'input gradients', logger='current', level=30)

    # ------------------------------------------------------- the D-step wrapper
    def _labels(self, data_samples) -> Optional[Tensor]:
        model = self._model
        if getattr(model, 'num_classes', 0) and hasattr(model, 'data_sample_to_label'):
            return model.data_sample_to_label(data_samples)
        return None

    def _train_discriminator(self, inputs, data_samples, optimizer_wrapper):
        """Replaces ``model.train_discriminator``; same parameter names, so both
        keyword (BaseGAN) and positional (StyleGAN2) calls work."""
        model = self._model
        original = getattr(model, _INSTALLED)
        if not self._active:
            return original(inputs=inputs, data_samples=data_samples,
                            optimizer_wrapper=optimizer_wrapper)
        real = data_samples.gt_img
        label = self._labels(data_samples)
        free = self.loss.free is not None
        if free:
            x_adv = self.loss.free_start(real)
        else:
            x_adv = self.loss.perturb(model.discriminator, real, label,
                                      getattr(optimizer_wrapper, 'loss_scaler', None))
        self.loss.last_stats['labelled'] = label is not None
        if not self.loss.last_stats['finite']:
            self._skip()
            return original(inputs=inputs, data_samples=data_samples,
                            optimizer_wrapper=optimizer_wrapper)
        if self._telemetry:
            self._record_telemetry(real, x_adv, label)

        if self.loss.mode == 'replace':
            data_samples.gt_img = x_adv
            try:
                log_vars = original(inputs=inputs, data_samples=data_samples,
                                    optimizer_wrapper=optimizer_wrapper)
            finally:
                data_samples.gt_img = real
        else:
            log_vars = self._train_with_term(original, inputs, data_samples, optimizer_wrapper,
                                             real, x_adv, label)
        if free and not self.loss.free_update(x_adv):
            self._skip()
        return log_vars

    def _train_with_term(self, original, inputs, data_samples, optimizer_wrapper, real: Tensor,
                         x_adv: Tensor, label: Optional[Tensor]):
        """``mode='mix'``: the model's own D step, with the AS term added to the
        loss it hands its optimizer wrapper."""
        model = self._model
        capture = _CaptureOutput(unwrap(model.discriminator), real)

        def make_term() -> Tensor:
            clean = capture.output
            if clean is None:  # the model did not call D on the batch itself
                clean = self.loss.call_discriminator(model.discriminator, real, label)
            return self.loss.adversarial_term(model.discriminator, x_adv, clean, label)

        proxy = _AddTermOptimWrapper(optimizer_wrapper, make_term)
        try:
            log_vars = original(inputs=inputs, data_samples=data_samples, optimizer_wrapper=proxy)
        finally:
            capture.remove()
        if proxy.term is None:
            raise RuntimeError(f'RealSampleAttackHook: {type(model).__name__}.train_discriminator '
                               'never called optimizer_wrapper.update_params/backward, so the AS '
                               "term could not be added; use mode='replace'")
        log_vars['loss_asgan'] = proxy.term.detach()
        return log_vars

    def _skip(self) -> None:
        self.skipped += 1
        if self.skipped == 1:
            warnings.warn('RealSampleAttackHook: non-finite input gradient, attack skipped for '
                          'this step (counted in asgan_skipped; warned once)')
        MessageHub.get_current_instance().update_scalar('train/asgan_skipped', self.skipped)

    @torch.no_grad()
    def _record_telemetry(self, real: Tensor, x_adv: Tensor, label: Optional[Tensor]) -> None:
        """D's mean output on clean and adversarial reals (before this D update),
        the fraction of reals whose decision flips from real to fake, the mean
        perturbation size (image scale) and the attack time (seconds)."""
        gan_type = self.loss.gan_type
        with frozen(unwrap(self._model.discriminator)) as d_module:
            clean = self.loss.call_discriminator(d_module, real, label).flatten(1).mean(1)
            adv = self.loss.call_discriminator(d_module, x_adv, label).flatten(1).mean(1)
        threshold = DECISION_THRESHOLDS[gan_type]
        flipped = ((clean > threshold) & (adv <= threshold)).float().mean()
        hub = MessageHub.get_current_instance()
        stats = self.loss.last_stats
        for key, value in (('d_real_clean', clean.mean()), ('d_real_adv', adv.mean()),
                           ('flip_rate', flipped), ('pert_norm', stats['perturbation_norm']),
                           ('attack_time', stats['attack_time']), ('skipped', self.skipped)):
            hub.update_scalar(f'train/asgan_{key}', float(value))
