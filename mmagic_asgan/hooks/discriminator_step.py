"""The shared mechanism of the hooks that act on a GAN's discriminator step.

MMagic GANs hard-code their D loss inside ``train_discriminator``, and they
differ in how the real batch reaches D: BaseGAN models read
``data_samples.gt_img``, progressive-growing ones (PGGAN, StyleGANv1) are
handed the reals as ``inputs``, resized to the current scale, and call
``D(x, curr_scale=..., transition_weight=...)``, conditional ones pass labels.
:class:`DiscriminatorStepHook` therefore does not call D itself in any
per-model way. During each D step it

1. finds the real batch as the model hands it over (:func:`locate_real_batch`),
2. intercepts *D's own forward call on that tensor* with a forward pre-hook on
   the unwrapped D (active only inside the D step), keeping the call's other
   arguments (:class:`RealCall`), so that whatever the subclass computes runs
   with exactly the arguments the model uses,
3. lets the subclass substitute D's input in that call
   (:meth:`~DiscriminatorStepHook.replace_input`) and add terms to the loss the
   model hands its optimizer wrapper (:meth:`~DiscriminatorStepHook.extra_loss`),
   before the model's single update.

A model takes one such hook, plus at most one *gradient penalty* hook
(``gradient_penalty = True``: R1) beside it, in either order in
``custom_hooks``: the penalty joins the other hook's D step, is computed from
D's output on the input it trains on as real (the clean reals, or ``x_adv``
where the attack replaces them) and is added to the same loss (AS + R1).

A model whose real batch cannot be identified, or whose D step never calls D on
it, is refused: at ``before_train`` where that is known from the class, else at
its first D step, before any parameter is updated.
"""
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
from mmengine.hooks import Hook
from torch import Tensor, nn

from ..module_state import unwrap

_INSTALLED = '_asgan_step_hook'

REAL_BATCH_SOURCES = ('auto', 'inputs', 'gt_img', 'inputs.img')

# Models whose D step cannot be handled, with why (matched through the MRO).
UNSUPPORTED_MODELS: Dict[str, str] = {
    'SinGAN': ('its train_discriminator reads the real image from the pyramid it keeps in '
               'model.reals (one image per scale), not from the batch it is handed, so there '
               'is no real batch to identify (PESinGAN inherits this)'),
    'MSPIEStyleGAN2': ('its train_discriminator resizes the real batch to a randomly chosen scale '
                       'under distributed training, so D is called on a tensor made inside the '
                       'step, not on the batch it is handed; use StyleGAN2'),
    'BaseTranslationModel': ('image-to-image translation (Pix2Pix, CycleGAN): its discriminators '
                             'judge (source, target) pairs per domain inside train_step, with no '
                             'train_discriminator step to take a real batch from; the hooks are '
                             'for unconditional and class-conditional GANs'),
}

Range = Union[float, Sequence[float]]


def locate_real_batch(inputs, data_samples, source: str = 'auto') -> Optional[Tensor]:
    """The real batch as the model hands it to ``train_discriminator``.

    Args:
        inputs: the D step's ``inputs`` (a tensor for PGGAN/StyleGANv1, a dict
            otherwise).
        data_samples: the D step's ``data_samples``.
        source (str): ``'inputs'`` (a tensor), ``'gt_img'``
            (``data_samples.gt_img``), ``'inputs.img'`` (BaseGAN's generic
            path) or ``'auto'``: the first of these that is a 4-d tensor.

    Returns:
        Tensor | None: the batch, or None if the source holds none.
    """
    candidates = {
        'inputs': lambda: inputs,
        'gt_img': lambda: getattr(data_samples, 'gt_img', None),
        'inputs.img': lambda: inputs.get('img') if isinstance(inputs, dict) else None,
    }
    for name in (candidates if source == 'auto' else [source]):
        value = candidates[name]()
        if isinstance(value, Tensor) and value.dim() == 4:
            return value
    return None


def _same_tensor(value, target: Tensor) -> bool:
    return isinstance(value, Tensor) and (value is target or (
        value.data_ptr() == target.data_ptr() and value.shape == target.shape
        and value.dtype == target.dtype and value.device == target.device))


def find_tensor(args: tuple, kwargs: dict, target: Tensor) -> Optional[Union[int, str]]:
    """Where ``target`` sits in a call's arguments: an index into ``args``, a
    key of ``kwargs``, or None."""
    for i, value in enumerate(args):
        if _same_tensor(value, target):
            return i
    for key, value in kwargs.items():
        if _same_tensor(value, target):
            return key
    return None


class RealCall:
    """D's forward call on the real batch, as the model made it.

    Args:
        module (nn.Module): the unwrapped D.
        args (tuple), kwargs (dict): the call's arguments.
        position (int | str): where the real batch is in them.
    """

    def __init__(self, module: nn.Module, args: tuple, kwargs: dict,
                 position: Union[int, str]) -> None:
        self.module = module
        self.args, self.kwargs = args, dict(kwargs)
        self.position = position

    @property
    def real(self) -> Tensor:
        return (self.args[self.position] if isinstance(self.position, int) else
                self.kwargs[self.position])

    def arguments_with(self, x: Tensor, args: Optional[tuple] = None,
                       kwargs: Optional[dict] = None) -> Tuple[tuple, dict]:
        """``(args, kwargs)`` (the recorded ones by default) with ``x`` in
        place of the real batch."""
        args = list(self.args if args is None else args)
        kwargs = dict(self.kwargs if kwargs is None else kwargs)
        if isinstance(self.position, int):
            args[self.position] = x
        else:
            kwargs[self.position] = x
        return tuple(args), kwargs

    def __call__(self, x: Tensor, through: Optional[nn.Module] = None) -> Tensor:
        """D on ``x`` with the model's other arguments, through ``through`` (the
        DDP-wrapped D, so that gradients are all-reduced) or the unwrapped D."""
        args, kwargs = self.arguments_with(x)
        return (through or self.module)(*args, **kwargs)


class _StepState:
    """What one D step has seen so far."""

    def __init__(self, real: Tensor) -> None:
        self.real = real
        self.call: Optional[RealCall] = None
        self.output: Optional[Tensor] = None
        self.replacement: Optional[Tensor] = None
        self.capture = False
        self.own_call = False
        self.terms: Dict[str, Tensor] = {}
        self.updated = False
        self.hooks: list = []  # the hooks acting on this step: the owner and/or its penalty
        self.leaf: Optional[Tensor] = None  # D's real-side input, for a gradient penalty


class _StepOptimWrapper:
    """Forwards everything to the D optimizer wrapper; ``update_params`` /
    ``backward`` first add the hook's terms to the loss (once per step)."""

    def __init__(self, optim_wrapper, add_terms: Callable[[Tensor], Tensor]) -> None:
        self._optim_wrapper = optim_wrapper
        self._add_terms = add_terms

    def update_params(self, loss: Tensor, *args, **kwargs):
        return self._optim_wrapper.update_params(self._add_terms(loss), *args, **kwargs)

    def backward(self, loss: Tensor, **kwargs):
        return self._optim_wrapper.backward(self._add_terms(loss), **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._optim_wrapper, name)


def resolve_input_range(model: nn.Module, input_range: Optional[Tuple[Range, Range]]
                        ) -> Tuple[Tensor, Tensor]:
    """The values D sees for pixel 0 and pixel 255, per channel.

    From ``input_range`` when given; else from the model's data preprocessor's
    ``mean`` / ``std`` (MMEngine's ``ImgDataPreprocessor`` and MMagic's
    ``DataPreprocessor`` register them as buffers exactly when they normalise:
    ``x = (pixel - mean) / std``).

    Raises:
        RuntimeError: neither is available (a preprocessor that does not
            normalise, or a custom one); the message says how to set
            ``input_range``.
    """
    if input_range is not None:
        low, high = (torch.as_tensor(v, dtype=torch.float32).flatten() for v in input_range)
        return low, high
    preprocessor = getattr(model, 'data_preprocessor', None)
    mean, std = getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)
    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        mean, std = mean.detach().float().flatten().cpu(), std.detach().float().flatten().cpu()
        return (0.0 - mean) / std, (255.0 - mean) / std
    raise RuntimeError(
        f'{type(model).__name__}: cannot tell the scale of the images D sees: its data '
        f'preprocessor ({type(preprocessor).__name__}) has no mean/std (it does not normalise, '
        'or is a custom one). Set input_range=(low, high) on the hook: the values D sees for '
        'pixel 0 and pixel 255, e.g. (-1, 1) for mean = std = 127.5, (0, 255) for raw pixels.')


def check_input_range(input_range) -> None:
    """Build-time check of a hook's ``input_range`` argument."""
    if input_range is None:
        return
    ok = isinstance(input_range, (tuple, list)) and len(input_range) == 2
    if ok:
        try:
            low, high = (torch.as_tensor(v, dtype=torch.float32).flatten() for v in input_range)
            ok = low.numel() >= 1 and bool((high > low).all())
        except (TypeError, ValueError, RuntimeError):
            ok = False
    if not ok:
        raise ValueError('input_range must be None or (low, high): the values D sees for pixel 0 '
                         'and pixel 255 (numbers or per-channel lists) with high > low, got '
                         f'{input_range!r}')


class DiscriminatorStepHook(Hook):
    """Base class: acts on D's own call on the real batch during each D step.

    Subclasses implement :meth:`replace_input`, :meth:`extra_loss` and, if
    needed, :meth:`after_d_step`, :meth:`acts_at`, :meth:`update_iteration_state`
    and :meth:`setup`; a gradient penalty (``gradient_penalty = True``)
    implements :meth:`penalty` instead of the first two.

    Args:
        real_batch (str): where the model hands over the real batch, one of
            :data:`REAL_BATCH_SOURCES` (see :func:`locate_real_batch`).
            Defaults to ``'auto'``.
        input_range (tuple, optional): ``(low, high)``, the values D sees for
            pixel 0 and pixel 255 (numbers or per-channel lists). Defaults to
            reading the data preprocessor's mean/std.
    """
    priority = 'NORMAL'
    name = 'DiscriminatorStepHook'
    gradient_penalty = False

    def __init__(self, real_batch: str = 'auto', input_range=None) -> None:
        if real_batch not in REAL_BATCH_SOURCES:
            raise ValueError(f'{self.name}: real_batch must be one of {REAL_BATCH_SOURCES}, '
                             f'got {real_batch!r}')
        check_input_range(input_range)
        self.real_batch = real_batch
        self.input_range = input_range
        self.model: Optional[nn.Module] = None
        self._step: Optional[_StepState] = None
        self._active = False
        self._penalty: Optional['DiscriminatorStepHook'] = None  # joined this hook's D step

    # ---------------------------------------------------------- subclass API
    def setup(self, runner, model: nn.Module, lower: Tensor, upper: Tensor) -> None:
        """Called at ``before_train`` once the model is known to be handled."""

    def update_iteration_state(self, runner) -> None:
        """Before each training iteration (``before_train_iter``): update the
        run state the coming D steps use (e.g. a scheduled budget)."""

    def acts_at(self, iteration: int) -> bool:
        """Whether the D steps of training iteration ``iteration`` (0-based,
        ``runner.iter``) are acted on; a pure predicate."""
        return True

    def replace_input(self, call: RealCall) -> Optional[Tensor]:
        """At D's first call on the real batch: what D should see instead (or
        None to leave the call as it is)."""
        return None

    def extra_loss(self, call: RealCall, output) -> Dict[str, Tensor]:
        """Terms (named ``loss_*``) added to the model's D loss before its update;
        ``output`` is D's output of the intercepted call (with graph)."""
        return {}

    def after_d_step(self, call: RealCall) -> None:
        """After the model's update (e.g. to read gradients left on inputs)."""

    def penalty(self, output: Tensor, leaf: Tensor) -> Dict[str, Tensor]:
        """A gradient penalty's terms (named ``loss_*``): ``output`` is D's
        output (with graph) on ``leaf``, the input D trains on as real, a leaf
        that requires grad."""
        raise NotImplementedError(f'{self.name}: a gradient penalty implements penalty()')

    # ---------------------------------------------------------------- install
    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        name = type(model).__name__
        for cls in type(model).__mro__:
            if cls.__name__ in UNSUPPORTED_MODELS:
                raise RuntimeError(f'{self.name}: {name} is not supported: '
                                   f'{UNSUPPORTED_MODELS[cls.__name__]}')
        if getattr(model, 'discriminator', None) is None:
            raise RuntimeError(f'{self.name}: {name} has no discriminator; this hook acts on a GAN '
                               "discriminator's training step. Remove it or use a GAN model.")
        if not callable(getattr(model, 'train_discriminator', None)):
            raise RuntimeError(f'{self.name}: {name} has no train_discriminator method (an '
                               'MMagic BaseGAN subclass is expected)')
        owner = getattr(model, _INSTALLED, None)
        joins = owner is not None and owner is not self and owner._penalty is not self
        if joins and (self.gradient_penalty == owner.gradient_penalty or
                      owner._penalty is not None):
            raise RuntimeError(f'{self.name}: {name} already has {owner.name} on its D step; a '
                               'model takes one D-step hook and at most one gradient penalty '
                               '(R1GradientPenaltyHook) beside it')
        lower, upper = resolve_input_range(model, self.input_range)
        self.model = model
        self.setup(runner, model, lower, upper)
        if joins and self.gradient_penalty:
            owner._penalty = self
        elif joins:  # the penalty came first: this hook runs the step, the penalty joins it
            self._original, self._penalty = owner._original, owner
            model.train_discriminator = self._train_discriminator
            setattr(model, _INSTALLED, self)
        elif owner is None:
            self._original = model.train_discriminator
            model.train_discriminator = self._train_discriminator
            setattr(model, _INSTALLED, self)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.update_iteration_state(runner)
        self._active = self.acts_at(runner.iter)

    # ------------------------------------------------------------ the D step
    @contextmanager
    def own_calls(self) -> Iterator[None]:
        """Calls of D made inside are not intercepted (the hook's own)."""
        step, previous = self._step, None
        if step is not None:
            previous, step.own_call = step.own_call, True
        try:
            yield
        finally:
            if step is not None:
                step.own_call = previous

    def _pre_forward(self, module, args, kwargs):
        step = self._step
        if step is None or step.own_call:
            return None
        position = find_tensor(args, kwargs, step.real)
        if position is None:
            return None
        if step.call is None:
            step.call = RealCall(module, args, kwargs, position)
            if self in step.hooks:
                with self.own_calls():
                    step.replacement = self.replace_input(step.call)
            if any(hook.gradient_penalty for hook in step.hooks):
                x = step.call.real if step.replacement is None else step.replacement
                if not (x.is_leaf and x.requires_grad):  # else the attack's leaf, shared
                    x = x.detach().requires_grad_(True)
                step.replacement = step.leaf = x
            step.capture = True
        if step.replacement is None:
            return None
        return step.call.arguments_with(step.replacement, args, kwargs)

    def _post_forward(self, module, args, kwargs, output) -> None:
        step = self._step
        if step is not None and step.capture and not step.own_call:
            step.output, step.capture = output, False

    def _add_terms(self, loss: Tensor) -> Tensor:
        step = self._step
        if step.updated:
            raise RuntimeError(f'{self.name}: {type(self.model).__name__}.train_discriminator '
                               'updated D twice in one step; the hook adds its terms once')
        step.updated = True
        self._require_real_call()
        with self.own_calls():
            for hook in step.hooks:
                step.terms.update(hook.penalty(step.output, step.leaf) if hook.gradient_penalty
                                  else hook.extra_loss(step.call, step.output))
        for term in step.terms.values():
            loss = loss + term
        return loss

    def _require_real_call(self) -> None:
        if self._step.call is None:
            raise RuntimeError(
                f'{self.name}: {type(self.model).__name__}.train_discriminator never called its '
                'discriminator on the real batch it was handed (real_batch='
                f'{self.real_batch!r}); the model is not supported, or the real batch comes '
                "from elsewhere: set real_batch to 'inputs', 'gt_img' or 'inputs.img'")

    def _train_discriminator(self, inputs, data_samples, optimizer_wrapper):
        """Replaces ``model.train_discriminator``; same parameter names, so both
        keyword (BaseGAN) and positional (StyleGAN2, PGGAN) calls work."""
        hooks = [hook for hook in (self, self._penalty) if hook is not None and hook._active]
        if not hooks:
            return self._original(inputs=inputs, data_samples=data_samples,
                                  optimizer_wrapper=optimizer_wrapper)
        model = self.model
        real = locate_real_batch(inputs, data_samples, self.real_batch)
        if real is None:
            raise RuntimeError(f'{self.name}: cannot find the real batch {type(model).__name__} '
                               f'hands its D step (real_batch={self.real_batch!r}: looked for a '
                               '4-d tensor in inputs, data_samples.gt_img, inputs["img"])')
        d_module = unwrap(model.discriminator)
        self._step = _StepState(real)
        self._step.hooks = hooks
        handles = (d_module.register_forward_pre_hook(self._pre_forward, with_kwargs=True),
                   d_module.register_forward_hook(self._post_forward, with_kwargs=True))
        try:
            log_vars = self._original(inputs=inputs, data_samples=data_samples,
                                      optimizer_wrapper=_StepOptimWrapper(optimizer_wrapper,
                                                                          self._add_terms))
            self._require_real_call()
            if not self._step.updated:
                raise RuntimeError(f'{self.name}: {type(model).__name__}.train_discriminator '
                                   'never called optimizer_wrapper.update_params/backward, so '
                                   "the hook's terms could not be added")
            if self in hooks:
                with self.own_calls():
                    self.after_d_step(self._step.call)
            for name, term in self._step.terms.items():
                term = term.detach()
                log_vars[name] = term
                if 'loss' in log_vars:  # MMagic logs the total D loss as 'loss'
                    log_vars['loss'] = log_vars['loss'] + term
        finally:
            for handle in handles:
                handle.remove()
            self._step = None
        return log_vars
