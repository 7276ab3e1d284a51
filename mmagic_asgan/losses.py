"""``ASGANDiscriminatorLoss``: the AS-GAN objective and its attack budget.

The loss owns *what* is computed (the attack objective, the budget, the
adversarial real-sample term); :mod:`mmagic_asgan.attacks` owns *how* a
perturbation is found; :class:`~mmagic_asgan.hooks.RealSampleAttackHook` owns
*when* it runs and *how D is called* (with the model's own arguments).
"""
import time
from typing import Callable, Dict, Optional, Union

import torch
from torch import Tensor, nn

from mmagic.registry import MODELS

from .attacks import ATTACKS, NORMS, attack, perturbation_norm
from .free_perturbation import FreePerturbation
from .gan_terms import GAN_TYPES, OBJECTIVES, attack_objective, real_term
from .module_state import frozen, unwrap

MODES = ('mix', 'replace')
# 'score' moves every real towards "fake" at full strength, confident reals included (the
# gradient of a saturating real loss vanishes there); the stress study compares the two
DEFAULT_OBJECTIVE = 'score'
LOSS_ATTACKS = ATTACKS + ('free', )

Forward = Callable[[Tensor], Tensor]


def _check(condition: bool, field: str, allowed: str, value) -> None:
    if not condition:
        raise ValueError(f'ASGANDiscriminatorLoss: {field} must be {allowed}, got {value!r}')


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@MODELS.register_module()
class ASGANDiscriminatorLoss(nn.Module):
    """Adversarial training of the discriminator on real samples (AS-GAN).

    The real batch ``x`` (as D sees it, normalized by the model's data
    preprocessor) is perturbed to look *fake* to D within an ``epsilon``-ball
    and inside the valid pixel range, giving ``x_adv``; D is then trained to
    call ``x_adv`` real. With ``L_r`` the real-sample term of the model's own D
    loss (``gan_type``):

    * ``mode='mix'``: real term ``(1 - w) * L_r(x) + w * L_r(x_adv)`` with
      ``w = loss_weight * adv_weight`` (the adversarial-training objective of
      Goodfellow et al.);
    * ``mode='replace'``: real term ``L_r(x_adv)`` (as Rob-GAN and FastGAN do).

    The fake term, any penalty and G's step are unchanged.

    The module has no parameters and no buffers, so it never appears in a
    state dict or in DDP.

    Args:
        attack (str): ``'fgsm'``, ``'pgd'``, ``'mifgsm'`` (momentum iterative
            FGSM) or ``'free'`` (FastGAN's "free" adversarial training: no
            attack pass; a perturbation persisted across D steps is updated
            from the input gradient of D's own update, see
            :mod:`mmagic_asgan.free_perturbation`; needs
            :class:`~mmagic_asgan.hooks.RealSampleAttackHook`; FastGAN uses
            ``mode='replace'``). Defaults to ``'fgsm'``.
        epsilon (float): budget in [0, 1] *image scale* (8/255 = 8 grey levels),
            converted to D's input scale with :meth:`set_input_range`.
            Defaults to 2/255.
        steps (int): iterations of pgd / mifgsm (fgsm takes one). Defaults to 1.
        step_size (float, optional): step in [0, 1] image scale. Defaults to
            ``epsilon`` (fgsm, free), ``2.5 * epsilon / steps`` (pgd),
            ``epsilon / steps`` (mifgsm).
        norm (str): ``'linf'`` or ``'l2'`` (the l2 ball is measured in image
            scale over the whole image). Defaults to ``'linf'``.
        random_start (bool): start from a random point of the ball.
        momentum (float): mifgsm's decay factor, >= 0. Defaults to 1.0.
        objective (str): what the attack ascends (:func:`~mmagic_asgan.gan_terms.attack_objective`):
            ``'loss'`` (D's real-sample loss, falling back to ``-D(x)`` where
            that loss would not lower D's score) or ``'score'`` (``-D(x)``).
            Defaults to :data:`DEFAULT_OBJECTIVE` (chosen in the CPU stress
            study, README "Benchmarks"). ``attack='free'`` takes none: it
            ascends the loss D is trained with.
        mode (str): ``'mix'`` or ``'replace'``. Defaults to ``'mix'``.
        adv_weight (float, optional): ``'mix'`` only: weight of the adversarial
            real term, in (0, 1]. Defaults to 0.5. Giving it with ``'replace'``
            is an error (it would be ignored).
        loss_weight (float, optional): ``'mix'`` only: multiplies
            ``adv_weight``; ``loss_weight * adv_weight`` must stay in (0, 1] so
            that the clean real term keeps a non-negative weight. Defaults to 1.
        gan_type (str): the model's D loss: ``'auto'`` (from the model class,
            resolved by the hook) or one of
            :data:`~mmagic_asgan.gan_terms.GAN_TYPES`. Defaults to ``'auto'``.
        data_info (dict, optional): MMagic's auxiliary-loss convention: maps
            :meth:`loss` arguments to keys of the model's output dict, e.g.
            ``dict(discriminator='disc', real_imgs='real_imgs',
            disc_pred_real='disc_pred_real')``.
        loss_name (str): name of the term when used as a ``disc_auxiliary_loss``.
    """

    def __init__(self,
                 attack: str = 'fgsm',
                 epsilon: float = 2 / 255,
                 steps: int = 1,
                 step_size: Optional[float] = None,
                 norm: str = 'linf',
                 random_start: bool = False,
                 momentum: float = 1.0,
                 objective: Optional[str] = None,
                 mode: str = 'mix',
                 adv_weight: Optional[float] = None,
                 loss_weight: Optional[float] = None,
                 gan_type: str = 'auto',
                 data_info: Optional[Dict[str, str]] = None,
                 loss_name: str = 'loss_asgan') -> None:
        super().__init__()
        _check(attack in LOSS_ATTACKS, 'attack', f'one of {LOSS_ATTACKS}', attack)
        _check(_number(epsilon) and 0.0 <= epsilon <= 1.0, 'epsilon',
               'a number in [0, 1] (image scale, e.g. 8/255)', epsilon)
        _check(isinstance(steps, int) and steps >= 1, 'steps', 'an int >= 1', steps)
        _check(step_size is None or (_number(step_size) and 0 < step_size <= 1), 'step_size',
               'None or a number in (0, 1] (image scale)', step_size)
        _check(norm in NORMS, 'norm', f'one of {NORMS}', norm)
        _check(isinstance(random_start, bool), 'random_start', 'a bool', random_start)
        _check(_number(momentum) and momentum >= 0, 'momentum', 'a number >= 0', momentum)
        if attack == 'free':
            _check(objective is None, 'objective',
                   "left unset with attack='free' (it ascends the loss D is trained with)",
                   objective)
        _check(objective is None or objective in OBJECTIVES, 'objective',
               f'None (the default, {DEFAULT_OBJECTIVE!r}) or one of {OBJECTIVES}', objective)
        objective = objective or DEFAULT_OBJECTIVE
        _check(mode in MODES, 'mode', f'one of {MODES}', mode)
        if mode == 'replace':
            _check(adv_weight is None, 'adv_weight',
                   "left unset with mode='replace' (D trains on x_adv alone; the weight "
                   "applies to mode='mix')", adv_weight)
            _check(loss_weight is None, 'loss_weight',
                   "left unset with mode='replace' (it scales the mix term)", loss_weight)
        adv_weight = 0.5 if adv_weight is None else adv_weight
        loss_weight = 1.0 if loss_weight is None else loss_weight
        _check(_number(adv_weight) and 0.0 < adv_weight <= 1.0, 'adv_weight',
               'a number in (0, 1]', adv_weight)
        _check(_number(loss_weight) and loss_weight > 0, 'loss_weight', 'a number > 0',
               loss_weight)
        _check(loss_weight * adv_weight <= 1.0, 'loss_weight * adv_weight',
               'at most 1 (above, the clean real term would get a negative weight)',
               loss_weight * adv_weight)
        _check(gan_type == 'auto' or gan_type in GAN_TYPES, 'gan_type',
               f"'auto' or one of {GAN_TYPES}", gan_type)
        _check(isinstance(loss_name, str) and loss_name.startswith('loss_'), 'loss_name',
               "a name starting with 'loss_'", loss_name)
        self.attack = attack
        self.epsilon = float(epsilon)
        self.current_epsilon = float(epsilon)  # set each iteration by the hook's schedule
        self.steps = steps
        self.step_size = step_size
        self.norm = norm
        self.random_start = random_start
        self.momentum = float(momentum)
        self.objective = objective
        self.mode = mode
        self.adv_weight = float(adv_weight)
        self.loss_weight = float(loss_weight)
        self.gan_type = gan_type
        self.data_info = data_info
        self._loss_name = loss_name
        self.measure_time = False
        self.last_stats: Dict[str, Union[float, Tensor]] = {}
        self.free = FreePerturbation(norm, random_start) if attack == 'free' else None
        self.set_input_range(-1.0, 1.0)  # MMagic's default preprocessor (mean = std = 127.5)

    # ------------------------------------------------------------------ set-up
    def set_input_range(self, lower: Union[float, Tensor], upper: Union[float, Tensor]) -> None:
        """Sets D's input scale: the values D sees for pixel 0 and pixel 255.

        Args:
            lower, upper (float | Tensor): scalars or per-channel (C,) /
                (C, 1, 1) tensors; ``upper > lower``. MMagic's default data
                preprocessor (mean = std = 127.5) gives -1 and 1.
        """
        lower = torch.as_tensor(lower, dtype=torch.float32).detach().reshape(1, -1, 1, 1).cpu()
        upper = torch.as_tensor(upper, dtype=torch.float32).detach().reshape(1, -1, 1, 1).cpu()
        if lower.shape != upper.shape and 1 not in (lower.shape[1], upper.shape[1]):
            raise ValueError(f'input range: {lower.shape[1]} lower and {upper.shape[1]} upper '
                             'channel values')
        if not bool((upper > lower).all()):
            raise ValueError('input range: the value of pixel 255 must be above that of pixel 0, '
                             f'got {lower.flatten().tolist()} and {upper.flatten().tolist()}')
        self._scale = upper - lower  # D-input units per [0, 1]-image unit
        self._lower, self._upper = lower, upper

    def input_range(self, like: Tensor) -> tuple:
        """(scale, lower, upper) on ``like``'s device and dtype, shape (1, C, 1, 1)."""
        return tuple(t.to(device=like.device, dtype=like.dtype)
                     for t in (self._scale, self._lower, self._upper))

    def resolved_gan_type(self) -> str:
        if self.gan_type == 'auto':
            raise RuntimeError("ASGANDiscriminatorLoss: gan_type is 'auto' and was not resolved; "
                               'use RealSampleAttackHook (it reads the model class) or set '
                               f'gan_type to one of {GAN_TYPES}')
        return self.gan_type

    def loss_name(self) -> str:
        """Name of the term, for MMagic's auxiliary-loss plumbing."""
        return self._loss_name

    # ----------------------------------------------------------------- attack
    def perturb(self, forward: Forward, real_imgs: Tensor,
                loss_scaler: Optional[object] = None) -> Tensor:
        """Crafts adversarial reals: ``x_adv`` that D finds less real.

        Args:
            forward (Callable[[Tensor], Tensor]): D applied to a batch shaped
                like ``real_imgs``, with whatever other arguments the model
                passes (labels, scale ...). Run it on D's unwrapped module inside
                :func:`~mmagic_asgan.module_state.frozen`, so the attack leaves
                no parameter gradient and no change in D's state.
            real_imgs (Tensor): real batch as D sees it, shape (N, C, H, W).
            loss_scaler (optional): a ``GradScaler``; its scale is applied to
                the attack objective and removed from the input gradient.

        Returns:
            Tensor: ``x_adv`` (N, C, H, W), detached. Samples whose input
            gradient was not finite keep ``x_adv == x``; their count is in
            ``last_stats['nonfinite']`` (a device tensor).
        """
        gan_type = self.resolved_gan_type()
        if self.free is not None:
            raise RuntimeError("ASGANDiscriminatorLoss: attack='free' has no attack pass to run; "
                               'its perturbation is updated from the D step itself, which '
                               'RealSampleAttackHook does (free_start / free_update)')
        scale, lower, upper = self._checked_range(real_imgs)
        grad_scale = None
        if loss_scaler is not None and getattr(loss_scaler, 'is_enabled', lambda: False)():
            grad_scale = float(loss_scaler.get_scale())
        self._sync_for_timing(real_imgs)
        start = time.perf_counter()
        result = attack(
            lambda x: attack_objective(forward(x), gan_type, self.objective),
            real_imgs,
            epsilon=self.current_epsilon,
            method=self.attack,
            steps=self.steps,
            step_size=self._scheduled_step_size(),
            norm=self.norm,
            random_start=self.random_start,
            momentum=self.momentum,
            lower=lower,
            upper=upper,
            scale=scale,
            grad_scale=grad_scale)
        self._sync_for_timing(real_imgs)
        self.last_stats = dict(
            nonfinite=result.nonfinite,
            attack_time=time.perf_counter() - start,
            perturbation_norm=perturbation_norm(result.x_adv - real_imgs.detach(), self.norm,
                                                scale).mean())
        return result.x_adv

    def _sync_for_timing(self, like: Tensor) -> None:
        if self.measure_time and like.is_cuda:  # only on telemetry iterations
            torch.cuda.synchronize(like.device)

    def _checked_range(self, real_imgs: Tensor) -> tuple:
        if real_imgs.dim() != 4:
            raise ValueError(f'real_imgs must be (N, C, H, W), got shape {tuple(real_imgs.shape)}')
        scale, lower, upper = self.input_range(real_imgs)
        if scale.shape[1] not in (1, real_imgs.shape[1]):
            raise ValueError(f'the input range has {scale.shape[1]} channels, the real images '
                             f'{real_imgs.shape[1]}')
        return scale, lower, upper

    def _scheduled_step_size(self) -> Optional[float]:
        """``step_size`` scaled like epsilon by the schedule (None: the attack's default)."""
        if self.step_size is None or self.epsilon == 0:
            return self.step_size
        return self.step_size * self.current_epsilon / self.epsilon

    def free_start(self, real_imgs: Tensor) -> Tensor:
        """``attack='free'``: the reals plus the persisted perturbation, as a leaf
        that requires grad; train D on it, then call :meth:`free_update`."""
        scale, lower, upper = self._checked_range(real_imgs)
        x_adv = self.free.apply(real_imgs, self.current_epsilon, scale, lower, upper)
        self.last_stats = dict(
            nonfinite=torch.zeros((), dtype=torch.long, device=real_imgs.device),
            attack_time=0.0,
            perturbation_norm=perturbation_norm(x_adv.detach() - real_imgs.detach(), self.norm,
                                                scale).mean())
        return x_adv

    def free_update(self, x_adv: Tensor) -> Tensor:
        """``attack='free'``: one step of the persisted perturbation along the
        input gradient the D update left in ``x_adv.grad``. Returns the number
        of samples (device tensor) whose gradient was not finite (kept)."""
        step_size = self._scheduled_step_size()
        return self.free.update(x_adv, self.current_epsilon,
                                self.current_epsilon if step_size is None else step_size,
                                self.input_range(x_adv)[0])

    # ------------------------------------------------------------------- loss
    def adversarial_term(self, pred_adv: Tensor, pred_clean: Tensor) -> Tensor:
        """The term to add to the model's own D loss (which holds ``L_r(x)``).

        ``w * (L_r(pred_adv) - L_r(pred_clean))`` with ``w = loss_weight *
        adv_weight`` ('mix') or 1 ('replace'): added to a D loss whose real
        term is ``L_r(x)``, the real term becomes the mode's objective.

        Args:
            pred_adv (Tensor): D's output on ``x_adv`` (with graph).
            pred_clean (Tensor): D's output on the clean reals (with graph).
        """
        gan_type = self.resolved_gan_type()
        weight = self.loss_weight * self.adv_weight if self.mode == 'mix' else 1.0
        return weight * (real_term(pred_adv, gan_type) - real_term(pred_clean, gan_type))

    def loss(self,
             discriminator: nn.Module,
             real_imgs: Tensor,
             disc_pred_real: Optional[Tensor] = None,
             loss_scaler: Optional[object] = None) -> Tensor:
        """Perturbs ``real_imgs`` and returns :meth:`adversarial_term`, calling
        ``discriminator(x)`` (for MMagic's ``disc_auxiliary_loss`` path, whose D
        takes the images alone). ``disc_pred_real`` (D's output on the clean
        reals, with graph) is computed when not given."""
        with frozen(unwrap(discriminator)) as d_module:
            x_adv = self.perturb(d_module, real_imgs, loss_scaler)
        if disc_pred_real is None:
            disc_pred_real = discriminator(real_imgs)
        return self.adversarial_term(discriminator(x_adv), disc_pred_real)

    def forward(self, *args, **kwargs) -> Tensor:
        """:meth:`loss`, called directly or MMagic's way with ``data_info``.

        With ``data_info`` set, the first positional argument (or
        ``outputs_dict=``) is the model's output dict, and :meth:`loss`'s
        arguments are read from it by the keys ``data_info`` names.
        """
        if self.data_info is not None:
            outputs_dict = args[0] if args else kwargs.pop('outputs_dict')
            kwargs = {arg: outputs_dict[key] for arg, key in self.data_info.items()}
            kwargs.setdefault('loss_scaler', outputs_dict.get('loss_scaler'))
            args = ()
        return self.loss(*args, **kwargs)

    def extra_repr(self) -> str:
        weights = (f', adv_weight={self.adv_weight * self.loss_weight:g}'
                   if self.mode == 'mix' else '')
        return (f'attack={self.attack}, epsilon={self.epsilon:.5g}, steps={self.steps}, '
                f'norm={self.norm}, objective={self.objective}, mode={self.mode}{weights}, '
                f'gan_type={self.gan_type}')
