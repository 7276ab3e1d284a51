"""``ASGANDiscriminatorLoss``: the AS-GAN objective and its attack budget.

The loss owns *what* is computed (the adversarial real-sample term and its
budget); :mod:`mmagic_asgan.attacks` owns *how* a perturbation is found;
:class:`~mmagic_asgan.hooks.RealSampleAttackHook` owns *when* it runs.
"""
import time
from typing import Dict, Optional, Union

import torch
from torch import Tensor, nn

from mmagic.registry import MODELS

from .attacks import ATTACKS, NORMS, attack, perturbation_norm
from .free_perturbation import FreePerturbation
from .gan_terms import GAN_TYPES, attack_objective, real_term
from .module_state import frozen, unwrap

MODES = ('mix', 'replace')
LOSS_ATTACKS = ATTACKS + ('free', )


def _check(condition: bool, field: str, allowed: str, value) -> None:
    if not condition:
        raise ValueError(f'ASGANDiscriminatorLoss: {field} must be {allowed}, got {value!r}')


@MODELS.register_module()
class ASGANDiscriminatorLoss(nn.Module):
    """Adversarial training of the discriminator on real samples (AS-GAN).

    The real batch ``x`` (as D sees it, normalized by the model's data
    preprocessor) is perturbed to *increase D's real-sample loss* within an
    ``epsilon``-ball and inside the valid pixel range, giving ``x_adv``; D is then
    trained to call ``x_adv`` real. With ``L_r`` the real-sample term of the
    model's own D loss (``gan_type``):

    * ``mode='mix'``: real term ``(1 - adv_weight) * L_r(x) + adv_weight * L_r(x_adv)``
      (the adversarial-training objective of Goodfellow et al.);
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
            converted to D's input scale with the model's data preprocessor
            (:meth:`set_normalization`). Defaults to 2/255.
        steps (int): iterations of pgd / mifgsm (fgsm takes one). Defaults to 1.
        step_size (float, optional): step in [0, 1] image scale. Defaults to
            ``epsilon`` (fgsm), ``2.5 * epsilon / steps`` (pgd),
            ``epsilon / steps`` (mifgsm).
        norm (str): ``'linf'`` or ``'l2'`` (the l2 ball is measured in image
            scale over the whole image). Defaults to ``'linf'``.
        random_start (bool): start from a random point of the ball.
        momentum (float): mifgsm's decay factor, >= 0. Defaults to 1.0.
        mode (str): ``'mix'`` or ``'replace'``. Defaults to ``'mix'``.
        adv_weight (float): weight of the adversarial term in ``'mix'``, in
            [0, 1]. Defaults to 0.5.
        gan_type (str): the model's D loss: ``'auto'`` (from the model class,
            resolved by the hook), ``'vanilla'``, ``'hinge'``, ``'lsgan'`` or
            ``'wgan'``. Defaults to ``'auto'``.
        loss_weight (float): multiplies the term :meth:`forward` returns.
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
                 mode: str = 'mix',
                 adv_weight: float = 0.5,
                 gan_type: str = 'auto',
                 loss_weight: float = 1.0,
                 data_info: Optional[Dict[str, str]] = None,
                 loss_name: str = 'loss_asgan') -> None:
        super().__init__()
        _check(attack in LOSS_ATTACKS, 'attack', f'one of {LOSS_ATTACKS}', attack)
        _check(isinstance(epsilon, (int, float)) and 0.0 <= epsilon <= 1.0, 'epsilon',
               'a number in [0, 1] (image scale, e.g. 8/255)', epsilon)
        _check(isinstance(steps, int) and steps >= 1, 'steps', 'an int >= 1', steps)
        _check(step_size is None or (isinstance(step_size, (int, float)) and 0 < step_size <= 1),
               'step_size', 'None or a number in (0, 1] (image scale)', step_size)
        _check(norm in NORMS, 'norm', f'one of {NORMS}', norm)
        _check(isinstance(random_start, bool), 'random_start', 'a bool', random_start)
        _check(isinstance(momentum, (int, float)) and momentum >= 0, 'momentum', 'a number >= 0',
               momentum)
        _check(mode in MODES, 'mode', f'one of {MODES}', mode)
        _check(isinstance(adv_weight, (int, float)) and 0.0 <= adv_weight <= 1.0, 'adv_weight',
               'a number in [0, 1]', adv_weight)
        _check(gan_type == 'auto' or gan_type in GAN_TYPES, 'gan_type',
               f"'auto' or one of {GAN_TYPES}", gan_type)
        _check(isinstance(loss_weight, (int, float)) and loss_weight >= 0, 'loss_weight',
               'a number >= 0', loss_weight)
        _check(loss_name.startswith('loss_'), 'loss_name', "a name starting with 'loss_'",
               loss_name)
        self.attack = attack
        self.epsilon = float(epsilon)
        self.current_epsilon = float(epsilon)  # set each iteration by the hook's schedule
        self.steps = steps
        self.step_size = step_size
        self.norm = norm
        self.random_start = random_start
        self.momentum = float(momentum)
        self.mode = mode
        self.adv_weight = float(adv_weight)
        self.gan_type = gan_type
        self.loss_weight = float(loss_weight)
        self.data_info = data_info
        self._loss_name = loss_name
        self.measure_time = False
        self.last_stats: Dict[str, Union[float, Tensor, bool]] = {}
        self.free = FreePerturbation(norm, random_start) if attack == 'free' else None
        self.set_normalization(127.5, 127.5)

    # ------------------------------------------------------------------ set-up
    def set_normalization(self, mean: Union[float, Tensor, None],
                          std: Union[float, Tensor, None]) -> None:
        """Sets how D's input relates to [0, 255] pixels: ``x = (pixel - mean) / std``.

        Args:
            mean, std (float | Tensor | None): per-channel (C,) or (C, 1, 1)
                tensors, scalars, or None for un-normalized [0, 255] input.
        """
        if mean is None or std is None:
            mean, std = 0.0, 1.0
        mean = torch.as_tensor(mean, dtype=torch.float32).detach().reshape(1, -1, 1, 1).cpu()
        std = torch.as_tensor(std, dtype=torch.float32).detach().reshape(1, -1, 1, 1).cpu()
        if not bool((std > 0).all()):
            raise ValueError(f'the data preprocessor std must be > 0, got {std.flatten().tolist()}')
        self._scale = 255.0 / std  # D-input units per [0, 1]-image unit
        self._lower = (0.0 - mean) / std
        self._upper = (255.0 - mean) / std

    def input_range(self, like: Tensor) -> tuple:
        """(scale, lower, upper) on ``like``'s device and dtype, shape (1, C, 1, 1)."""
        return tuple(t.to(device=like.device, dtype=like.dtype)
                     for t in (self._scale, self._lower, self._upper))

    def resolved_gan_type(self) -> str:
        if self.gan_type == 'auto':
            raise RuntimeError("ASGANDiscriminatorLoss: gan_type is 'auto' and was not resolved; "
                               "use RealSampleAttackHook (it reads the model class) or set "
                               f'gan_type to one of {GAN_TYPES}')
        return self.gan_type

    def loss_name(self) -> str:
        """Name of the term, for MMagic's auxiliary-loss plumbing."""
        return self._loss_name

    # ----------------------------------------------------------------- attack
    @staticmethod
    def call_discriminator(discriminator: nn.Module, x: Tensor,
                           label: Optional[Tensor] = None) -> Tensor:
        """``D(x)``, or ``D(x, label=label)`` for a conditional D."""
        return discriminator(x) if label is None else discriminator(x, label=label)

    def perturb(self,
                discriminator: nn.Module,
                real_imgs: Tensor,
                label: Optional[Tensor] = None,
                loss_scaler: Optional[object] = None) -> Tensor:
        """Crafts adversarial reals: ``x_adv`` that D finds less real.

        D runs in its current mode on its unwrapped module, with parameters
        frozen and buffers restored afterwards (see
        :func:`mmagic_asgan.module_state.frozen`): the attack leaves no
        parameter gradient and no change in D's state.

        Args:
            discriminator (nn.Module): D, possibly DDP-wrapped.
            real_imgs (Tensor): real batch as D sees it, shape (N, C, H, W).
            label (Tensor, optional): class labels (N,) for a conditional D.
            loss_scaler (optional): a ``GradScaler``; its scale is applied to
                the attack objective and removed from the input gradient.

        Returns:
            Tensor: ``x_adv`` (N, C, H, W), detached. Equal to ``real_imgs`` if
            the input gradient was not finite (``last_stats['finite']`` False).
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
        step_size = self._scheduled_step_size()

        if self.measure_time and real_imgs.is_cuda:
            torch.cuda.synchronize(real_imgs.device)
        start = time.perf_counter()
        with frozen(unwrap(discriminator)) as d_module:
            result = attack(
                lambda x: attack_objective(self.call_discriminator(d_module, x, label), gan_type),
                real_imgs,
                epsilon=self.current_epsilon,
                method=self.attack,
                steps=self.steps,
                step_size=step_size,
                norm=self.norm,
                random_start=self.random_start,
                momentum=self.momentum,
                lower=lower,
                upper=upper,
                scale=scale,
                grad_scale=grad_scale)
        if self.measure_time and real_imgs.is_cuda:
            torch.cuda.synchronize(real_imgs.device)
        self.last_stats = dict(
            finite=result.finite,
            attack_time=time.perf_counter() - start,
            perturbation_norm=perturbation_norm(result.x_adv - real_imgs.detach(), self.norm,
                                                scale).mean().detach())
        return result.x_adv

    def _checked_range(self, real_imgs: Tensor) -> tuple:
        if real_imgs.dim() != 4:
            raise ValueError(f'real_imgs must be (N, C, H, W), got shape {tuple(real_imgs.shape)}')
        scale, lower, upper = self.input_range(real_imgs)
        if scale.shape[1] not in (1, real_imgs.shape[1]):
            raise ValueError(f'the data preprocessor has {scale.shape[1]} channels of mean/std, '
                             f'the real images {real_imgs.shape[1]}')
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
            finite=True, attack_time=0.0,
            perturbation_norm=perturbation_norm(x_adv.detach() - real_imgs.detach(), self.norm,
                                                scale).mean())
        return x_adv

    def free_update(self, x_adv: Tensor) -> bool:
        """``attack='free'``: one step of the persisted perturbation along the
        input gradient the D update left in ``x_adv.grad``; False if it was not
        finite (the perturbation is kept)."""
        step_size = self._scheduled_step_size()
        return self.free.update(x_adv, self.current_epsilon,
                                self.current_epsilon if step_size is None else step_size,
                                self.input_range(x_adv)[0])

    # ------------------------------------------------------------------- loss
    def adversarial_term(self, discriminator: nn.Module, x_adv: Tensor,
                         disc_pred_real: Tensor, label: Optional[Tensor] = None) -> Tensor:
        """The term to add to the model's own D loss (which holds ``L_r(x)``).

        ``loss_weight * w * (L_r(D(x_adv)) - L_r(disc_pred_real))`` with
        ``w = adv_weight`` ('mix') or 1 ('replace'): added to a D loss whose real
        term is ``L_r(x)``, the real term becomes the mode's objective.
        ``D(x_adv)`` goes through ``discriminator`` as given (the DDP wrapper in
        distributed training, so its gradients are all-reduced).
        """
        gan_type = self.resolved_gan_type()
        weight = self.adv_weight if self.mode == 'mix' else 1.0
        pred_adv = self.call_discriminator(discriminator, x_adv, label)
        return self.loss_weight * weight * (
            real_term(pred_adv, gan_type) - real_term(disc_pred_real, gan_type))

    def loss(self,
             discriminator: nn.Module,
             real_imgs: Tensor,
             label: Optional[Tensor] = None,
             disc_pred_real: Optional[Tensor] = None,
             loss_scaler: Optional[object] = None) -> Tensor:
        """Perturbs ``real_imgs`` and returns :meth:`adversarial_term`.

        ``disc_pred_real`` (D's output on the clean reals, with graph) is
        computed when not given.
        """
        x_adv = self.perturb(discriminator, real_imgs, label, loss_scaler)
        if disc_pred_real is None:
            disc_pred_real = self.call_discriminator(discriminator, real_imgs, label)
        if not self.last_stats['finite']:
            return disc_pred_real.sum() * 0.0
        return self.adversarial_term(discriminator, x_adv, disc_pred_real, label)

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
        return (f'attack={self.attack}, epsilon={self.epsilon:.5g}, steps={self.steps}, '
                f'norm={self.norm}, mode={self.mode}, adv_weight={self.adv_weight}, '
                f'gan_type={self.gan_type}')
