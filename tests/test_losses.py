"""Tests for ASGANDiscriminatorLoss: validation, budget, D untouched, loss raised."""
import pytest
import torch
from torch import nn

import mmagic_asgan  # noqa: F401
from mmagic.registry import MODELS
from mmagic_asgan.gan_terms import GAN_TYPES, real_term
from mmagic_asgan.input_range import InputRange
from mmagic_asgan.losses import ASGANDiscriminatorLoss
from mmagic_asgan.module_state import frozen


def attack_result(loss: ASGANDiscriminatorLoss, d: nn.Module, x: torch.Tensor, **kwargs):
    """How the hook calls it: D frozen, called on the batch alone."""
    with frozen(d):
        return loss.perturb(d, x, **kwargs)


def perturb(loss: ASGANDiscriminatorLoss, d: nn.Module, x: torch.Tensor, **kwargs):
    return attack_result(loss, d, x, **kwargs).x_adv


def build_d(kind: str) -> nn.Module:
    torch.manual_seed(0)
    if kind == 'dcgan':  # BatchNorm
        d = MODELS.build(dict(type='DCGANDiscriminator', input_scale=16, output_scale=4,
                              out_channels=1, base_channels=8))
    else:  # spectral norm (SNGAN's ResNet D)
        d = MODELS.build(dict(type='ProjDiscriminator', input_scale=32, base_channels=8,
                              num_classes=0))
    return d.train()


def reals(size: int = 16, n: int = 4) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


@pytest.mark.parametrize('kwargs,field', [
    (dict(epsilon=-0.1), 'epsilon'), (dict(epsilon=1.5), 'epsilon'), (dict(steps=0), 'steps'),
    (dict(attack='cw'), 'attack'), (dict(norm='l1'), 'norm'), (dict(mode='both'), 'mode'),
    (dict(gan_type='smgan'), 'gan_type'), (dict(adv_weight=1.2), 'adv_weight'),
    (dict(adv_weight=-0.1), 'adv_weight'), (dict(adv_weight=0), 'adv_weight'),
    (dict(step_size=0), 'step_size'), (dict(objective='logit'), 'objective'),
    (dict(momentum=-1), 'momentum'), (dict(loss_name='asgan'), 'loss_name'),
    (dict(loss_weight=0), 'loss_weight'), (dict(epsilon=True), 'epsilon'),
    (dict(loss_weight=4, adv_weight=0.5), r'loss_weight \* adv_weight'),
    (dict(mode='replace', adv_weight=0.5), 'adv_weight'),
    (dict(mode='replace', loss_weight=1.0), 'loss_weight'), (dict(direction='noise'), 'direction'),
    (dict(attack='free', direction='random'), 'direction')])
def test_bad_input_fails_at_build_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f'ASGANDiscriminatorLoss: {field} must be'):
        MODELS.build(dict(type='ASGANDiscriminatorLoss', **kwargs))


def test_meaningful_weights_build():
    mix = MODELS.build(dict(type='ASGANDiscriminatorLoss', loss_weight=2.0, adv_weight=0.5))
    assert mix.loss_weight * mix.adv_weight == 1.0
    assert MODELS.build(dict(type='ASGANDiscriminatorLoss', mode='replace')).mode == 'replace'


@pytest.mark.parametrize('kind', ['dcgan', 'sngan'])
@pytest.mark.parametrize('attack', ['fgsm', 'pgd', 'mifgsm'])
def test_attack_leaves_no_gradient_and_no_state_change(kind, attack):
    d = build_d(kind)
    size = 16 if kind == 'dcgan' else 32
    next(d.parameters()).requires_grad_(False)  # a flag that must come back False
    flags = [p.requires_grad for p in d.parameters()]
    state = {k: v.clone() for k, v in d.state_dict().items()}
    loss = ASGANDiscriminatorLoss(attack=attack, steps=3, epsilon=8 / 255, gan_type='vanilla',
                                  random_start=attack == 'pgd')
    perturb(loss, d, reals(size))
    assert all(p.grad is None for p in d.parameters())
    assert [p.requires_grad for p in d.parameters()] == flags
    assert all(torch.equal(state[k], v) for k, v in d.state_dict().items())


@pytest.mark.parametrize('norm', ['linf', 'l2'])
def test_budget_in_d_scale_follows_the_preprocessor(norm):
    d = build_d('dcgan')
    loss = ASGANDiscriminatorLoss(attack='pgd', steps=3, epsilon=4 / 255, norm=norm,
                                  gan_type='vanilla')
    mean, std = torch.tensor([100.0, 120.0, 140.0]), torch.tensor([50.0, 60.0, 70.0])
    input_range = InputRange((0 - mean) / std, (255 - mean) / std)
    lower, upper = ((0 - mean) / std).view(1, 3, 1, 1), ((255 - mean) / std).view(1, 3, 1, 1)
    x = torch.max(torch.min(reals() * 2, upper), lower)
    x_adv = perturb(loss, d, x, input_range=input_range)
    delta = (x_adv - x) * std.view(1, 3, 1, 1) / 255  # back to [0, 1] image scale
    size = delta.flatten(1).abs().amax(1) if norm == 'linf' else delta.flatten(1).norm(dim=1)
    assert bool((size <= 4 / 255 * (1 + 1e-4)).all())
    assert bool((x_adv >= lower - 1e-6).all() and (x_adv <= upper + 1e-6).all())


def test_fgsm_on_linear_d_is_the_closed_form():
    w = 0.02 * torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(2))

    class LinearD(nn.Module):

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(w.clone())

        def forward(self, x):
            return (x * self.w).flatten(1).sum(1, keepdim=True)

    x = torch.rand(3, 3, 4, 4) * 2 - 1
    for gan_type in GAN_TYPES:
        loss = ASGANDiscriminatorLoss(epsilon=2 / 255, gan_type=gan_type, objective='loss')
        x_adv = perturb(loss, LinearD(), x)
        # every real term decreases with D's score, so FGSM steps along -sign(w)
        # (for lsgan while d < 1: here |d| is small); std 127.5 -> 2 units per image unit
        if gan_type == 'lsgan':
            d = (x * w).flatten(1).sum(1)
            assert bool((d < 1).all())
        expected = torch.clamp(x + (2 / 255 * 2.0) * -torch.sign(w), -1, 1)
        assert torch.equal(x_adv, expected), gan_type


@pytest.mark.parametrize('gan_type', GAN_TYPES)
def test_attack_raises_real_loss(gan_type):
    d = build_d('dcgan')
    x = reals()
    loss = ASGANDiscriminatorLoss(epsilon=8 / 255, gan_type=gan_type, objective='loss')
    x_adv = perturb(loss, d, x)
    with torch.no_grad():
        d.eval()  # compare with fixed statistics
        assert float(real_term(d(x_adv), gan_type)) > float(real_term(d(x), gan_type))


def test_mix_term_is_the_documented_objective():
    d = build_d('dcgan').eval()
    x = reals()
    loss = ASGANDiscriminatorLoss(epsilon=8 / 255, gan_type='vanilla', adv_weight=0.3)
    clean = d(x)
    term = loss.loss(d, x, disc_pred_real=clean)
    x_adv = perturb(loss, d, x)
    total = real_term(clean, 'vanilla') + term
    expected = 0.7 * real_term(d(x), 'vanilla') + 0.3 * real_term(d(x_adv), 'vanilla')
    torch.testing.assert_close(total, expected)


def test_data_info_call_the_mmagic_way():
    d = build_d('dcgan').eval()
    x = reals()
    loss = ASGANDiscriminatorLoss(gan_type='lsgan', data_info=dict(
        discriminator='disc', real_imgs='real_imgs', disc_pred_real='disc_pred_real'))
    out = loss(dict(disc=d, real_imgs=x, disc_pred_real=d(x), loss_scaler=None))
    assert out.dim() == 0 and out.requires_grad and float(out) > 0


def test_auto_gan_type_must_be_resolved():
    with pytest.raises(RuntimeError, match="gan_type is 'auto'"):
        perturb(ASGANDiscriminatorLoss(), build_d('dcgan'), reals())


def test_attack_objective_is_fp32_and_per_sample():
    """Under fp16 autocast D's output is fp16: the objective is taken in fp32 and
    summed over the batch (each sample's own score), so it neither overflows
    nor depends on the batch size."""
    loss = ASGANDiscriminatorLoss(gan_type='vanilla')
    pred = torch.full((8, 1), -3.0, dtype=torch.float16)
    value = loss.attack_objective(pred)
    assert value.dtype == torch.float32
    assert float(value) == pytest.approx(8 * 3.0)  # score objective: -D(x) per sample
    assert float(loss.attack_objective(pred[:2])) == pytest.approx(2 * 3.0)


def test_scheduled_epsilon_scales_the_step_and_the_ball():
    loss = ASGANDiscriminatorLoss(attack='pgd', steps=2, epsilon=8 / 255, step_size=4 / 255,
                                  gan_type='wgan')
    assert loss.step_size_at(4 / 255) == pytest.approx(2 / 255)
    x = reals()
    x_adv = perturb(loss, nn.Conv2d(3, 1, 4), x, epsilon=2 / 255)
    assert float((x_adv - x).abs().max()) <= 2 / 255 * 2 * (1 + 1e-5)


def test_the_loss_is_not_changed_by_use():
    """Configuration and pure methods: a perturb or a term leaves every attribute as it was."""
    loss = ASGANDiscriminatorLoss(gan_type='vanilla', attack='pgd', steps=2)
    before = {k: v for k, v in vars(loss).items() if not k.startswith('_')}
    d = build_d('dcgan')
    x_adv = perturb(loss, d, reals(), epsilon=1 / 255)
    loss.adversarial_term(d(x_adv), d(reals()), gain=4)
    assert {k: v for k, v in vars(loss).items() if not k.startswith('_')} == before
    resolved = ASGANDiscriminatorLoss(attack='pgd').with_gan_type('hinge')
    assert resolved.gan_type == 'hinge' and resolved.attack == 'pgd'


class NanGradOfSecondSample(torch.autograd.Function):
    """Identity whose backward gives the second sample a NaN gradient."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        grad[1] = float('nan')
        return grad


class HalfNanD(nn.Module):

    def forward(self, x):
        return NanGradOfSecondSample.apply(x).flatten(1).sum(1, keepdim=True)


def test_non_finite_gradient_leaves_that_sample_clean_and_is_counted():
    loss = ASGANDiscriminatorLoss(gan_type='wgan')
    x = reals()
    result = attack_result(loss, HalfNanD(), x)
    assert torch.equal(result.x_adv[1], x[1])
    assert not torch.equal(result.x_adv[0], x[0])
    assert int(result.nonfinite) == 1


def test_no_parameters_or_buffers():
    loss = ASGANDiscriminatorLoss()
    assert list(loss.parameters()) == [] and list(loss.buffers()) == []
    assert loss.state_dict() == {}


def test_free_attack_has_no_attack_pass():
    loss = ASGANDiscriminatorLoss(attack='free', epsilon=4 / 255, gan_type='vanilla')
    with pytest.raises(RuntimeError, match="attack='free' has no attack pass"):
        loss.perturb(torch.nn.Conv2d(1, 1, 4), torch.zeros(2, 1, 4, 4))
