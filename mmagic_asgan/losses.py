"""``ASGANDiscriminatorLoss``: the AS-GAN objective and its attack budget.

The loss owns *what* is computed (the attack objective, the budget, the
adversarial real-sample term); :mod:`mmagic_asgan.attacks` owns *how* a
perturbation is found; :class:`~mmagic_asgan.hooks.RealSampleAttackHook` owns
*when* it runs and *how D is called* (with the model's own arguments).
"""
from typing import Callable, Dict, Optional

import torch
from torch import Tensor, nn

from mmagic.registry import MODELS

from .attacks import ATTACKS, DIRECTIONS, NORMS, AttackResult, attack
from .gan_terms import GAN_TYPES, OBJECTIVES, attack_objective, real_term
from .input_range import InputRange
from .module_state import frozen, unwrap

MODES = ('mix', 'replace')
# 'score' moves every real towards "fake" at full strength, confident reals included (the
# gradient of a saturating real loss vanishes there); the stress study compares the two
DEFAULT_OBJECTIVE = 'score'
LOSS_ATTACKS = ATTACKS + ('free', )
DEFAULT_INPUT_RANGE = InputRange(-1.0, 1.0)  # MMagic's default preprocessor (mean = std = 127.5)

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

    The loss is configuration and pure methods: nothing in it changes during
    training. The run's state (this iteration's epsilon, the free attack's
    perturbation, counters, telemetry) belongs to
    :class:`~mmagic_asgan.hooks.RealSampleAttackHook`. The module has no
    parameters and no buffers, so it never appears in a state dict or in DDP.

    Args:
        attack (str): ``'fgsm'``, ``'pgd'``, ``'mifgsm'`` (momentum iterative
            FGSM) or ``'free'`` (FastGAN's "free" adversarial training: no
            attack pass; a perturbation persisted across D steps is updated
            from the input gradient of D's own update, see
            :mod:`mmagic_asgan.free_perturbation`; needs
            :class:`~mmagic_asgan.hooks.RealSampleAttackHook`; FastGAN uses
            ``mode='replace'``). Defaults to ``'fgsm'``.
        epsilon (float): budget in [0, 1] *image scale* (8/255 = 8 grey levels),
            converted to D's input scale with an
            :class:`~mmagic_asgan.input_range.InputRange`.
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
        direction (str): ``'gradient'`` (AS-GAN) or ``'random'``: the equal-cost
            control, the same passes and budget with a random direction instead
            of the input gradient's (does the *adversarial* direction matter?).
            Not with ``attack='free'``. Defaults to ``'gradient'``.
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
                 loss_name: str = 'loss_asgan',
                 direction: str = 'gradient') -> None:
        config = {k: v for k, v in locals().items() if k not in ('self', '__class__')}
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
        _check(direction in DIRECTIONS, 'direction', f'one of {DIRECTIONS}', direction)
        _check(attack != 'free' or direction == 'gradient', 'direction',
               "'gradient' with attack='free' (its step comes from the D update)", direction)
        self.attack = attack
        self.epsilon = float(epsilon)
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
        self.direction = direction
        self._config = config  # as given, for with_gan_type

    # --------------------------------------------------------------- queries
    def with_gan_type(self, gan_type: str) -> 'ASGANDiscriminatorLoss':
        """A copy of this loss configured with ``gan_type`` (the hook resolves
        ``'auto'`` from the model class this way; the loss itself never changes)."""
        return type(self)(**dict(self._config, gan_type=gan_type))

    def resolved_gan_type(self) -> str:
        """``gan_type``; an error while it is still ``'auto'``."""
        if self.gan_type == 'auto':
            raise RuntimeError("ASGANDiscriminatorLoss: gan_type is 'auto' and was not resolved; "
                               'use RealSampleAttackHook (it reads the model class) or set '
                               f'gan_type to one of {GAN_TYPES}')
        return self.gan_type

    def loss_name(self) -> str:
        """Name of the term, for MMagic's auxiliary-loss plumbing."""
        return self._loss_name

    @property
    def mix_weight(self) -> float:
        """``w`` of :meth:`adversarial_term`: ``loss_weight * adv_weight`` for
        ``'mix'``, 1 for ``'replace'``."""
        return self.loss_weight * self.adv_weight if self.mode == 'mix' else 1.0

    def step_size_at(self, epsilon: float) -> Optional[float]:
        """``step_size`` scaled like ``epsilon`` by a schedule (the budget this
        iteration over the configured one); None: the attack's default."""
        if self.step_size is None or self.epsilon == 0:
            return self.step_size
        return self.step_size * epsilon / self.epsilon

    # ----------------------------------------------------------------- attack
    def attack_objective(self, pred: Tensor) -> Tensor:
        """What the attack ascends, from D's output on the (perturbed) reals.

        Evaluated in fp32 whatever D's autocast dtype, and summed over the
        batch (each sample's own score or loss, not divided by N): the sign
        and the norm-normalised steps do not depend on a positive factor, and
        a per-sample scale keeps fp16 input gradients away from underflow. No
        loss scaler is applied: its 2^16 overflowed fp16 backward passes.
        """
        value = attack_objective(pred.float(), self.resolved_gan_type(), self.objective)
        return value * pred.shape[0]

    def input_gradient(self, pred: Tensor, x: Tensor) -> Tensor:
        """d :meth:`attack_objective` / d ``x`` through an existing graph
        (``pred`` = D(``x``), ``x`` a leaf that requires grad); the graph is
        kept for the caller's backward and no parameter gradient is made."""
        grad, = torch.autograd.grad(self.attack_objective(pred), x, retain_graph=True)
        return grad

    def perturb(self,
                forward: Forward,
                real_imgs: Tensor,
                epsilon: Optional[float] = None,
                input_range: Optional[InputRange] = None,
                first_grad: Optional[Tensor] = None) -> AttackResult:
        """Crafts adversarial reals: ``x_adv`` that D finds less real.

        Args:
            forward (Callable[[Tensor], Tensor]): D applied to a batch shaped
                like ``real_imgs``, with whatever other arguments the model
                passes (labels, scale ...). Run it on D's unwrapped module inside
                :func:`~mmagic_asgan.module_state.frozen`, so the attack leaves
                no parameter gradient and no change in D's state.
            real_imgs (Tensor): real batch as D sees it, shape (N, C, H, W).
            epsilon (float, optional): this step's budget (image scale);
                defaults to the configured ``epsilon``.
            input_range (InputRange, optional): D's input scale; defaults to
                MMagic's default preprocessor's [-1, 1].
            first_grad (Tensor, optional): the input gradient at ``real_imgs``
                (:meth:`input_gradient` of D's own call): the first step uses it.

        Returns:
            AttackResult: ``x_adv`` (N, C, H, W), detached, and ``nonfinite``
            (a device tensor): samples whose input gradient was not finite keep
            ``x_adv == x``.
        """
        if self.attack == 'free':
            raise RuntimeError("ASGANDiscriminatorLoss: attack='free' has no attack pass to run; "
                               'its perturbation is updated from the D step itself, which '
                               'RealSampleAttackHook does')
        epsilon = self.epsilon if epsilon is None else epsilon
        scale, lower, upper = (input_range or DEFAULT_INPUT_RANGE).on(real_imgs)
        return attack(
            lambda x: self.attack_objective(forward(x)),
            real_imgs,
            epsilon=epsilon,
            method=self.attack,
            steps=self.steps,
            step_size=self.step_size_at(epsilon),
            norm=self.norm,
            random_start=self.random_start,
            momentum=self.momentum,
            lower=lower,
            upper=upper,
            scale=scale,
            first_grad=first_grad,
            direction=self.direction)

    # ------------------------------------------------------------------- loss
    def adversarial_term(self, pred_adv: Tensor, pred_clean: Tensor,
                         gain: float = 1.0) -> Tensor:
        """The term to add to the model's own D loss (which holds ``L_r(x)``).

        ``gain * w * (L_r(pred_adv) - L_r(pred_clean))`` with ``w`` =
        :attr:`mix_weight`: added to a D loss whose real term is ``L_r(x)``, the
        real term becomes the mode's objective.

        Args:
            pred_adv (Tensor): D's output on ``x_adv`` (with graph).
            pred_clean (Tensor): D's output on the clean reals (with graph).
            gain (float): lazy regularisation: the term applied every k-th D
                step is multiplied by k (StyleGAN2's lazy R1).
        """
        gan_type = self.resolved_gan_type()
        return (gain * self.mix_weight) * (real_term(pred_adv, gan_type) -
                                           real_term(pred_clean, gan_type))

    def loss(self,
             discriminator: nn.Module,
             real_imgs: Tensor,
             disc_pred_real: Optional[Tensor] = None,
             loss_scaler: Optional[object] = None) -> Tensor:
        """Perturbs ``real_imgs`` with the configured ``epsilon`` in D's default
        [-1, 1] input range and returns :meth:`adversarial_term`, calling
        ``discriminator(x)`` (for MMagic's ``disc_auxiliary_loss`` path, whose D
        takes the images alone). ``disc_pred_real`` (D's output on the clean
        reals, with graph) is computed when not given. ``loss_scaler`` is
        accepted for MMagic's convention and not used (:meth:`attack_objective`)."""
        with frozen(unwrap(discriminator)) as d_module:
            x_adv = self.perturb(d_module, real_imgs).x_adv
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
        control = ', direction=random' if self.direction == 'random' else ''
        return (f'attack={self.attack}, epsilon={self.epsilon:.5g}, steps={self.steps}, '
                f'norm={self.norm}, objective={self.objective}, mode={self.mode}{weights}, '
                f'gan_type={self.gan_type}{control}')
