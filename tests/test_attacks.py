"""Tests for mmagic_asgan.attacks (pure functions, closed-form checks)."""
import pytest
import torch
import torch.nn.functional as F

from mmagic_asgan.attacks import attack, perturbation_norm


def linear_objective(w, b=0.3):
    """Real-sample loss of a linear D (logit = <w, x> + b): softplus(-logit)."""
    return lambda x: F.softplus(-((x * w).flatten(1).sum(1) + b)).mean()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 8, 8, generator=g) * 2 - 1
    w = torch.randn(1, 3, 8, 8, generator=g)
    return x, w


def test_fgsm_linf_equals_closed_form(batch):
    # d softplus(-(<w,x>+b)) / dx = -sigmoid(-(..)) * w, so the ascent sign is -sign(w)
    x, w = batch
    eps, scale = 8 / 255, 2.0
    res = attack(linear_objective(w), x, eps, 'fgsm', scale=scale, lower=-1.0, upper=1.0)
    expected = torch.clamp(x + (eps * scale) * -torch.sign(w), -1.0, 1.0)
    assert int(res.nonfinite) == 0
    assert torch.equal(res.x_adv, expected)


def test_fgsm_l2_equals_closed_form(batch):
    x, w = batch
    x = x * 0.5  # stay away from the clip range so the closed form holds
    eps, scale = 0.5, 2.0
    res = attack(linear_objective(w), x, eps, 'fgsm', norm='l2', scale=scale)
    direction = -w / w.norm()
    torch.testing.assert_close(res.x_adv, x + eps * scale * direction, rtol=0, atol=1e-6)


@pytest.mark.parametrize('method,norm,random_start', [
    ('fgsm', 'linf', False), ('pgd', 'linf', True), ('pgd', 'l2', True),
    ('mifgsm', 'linf', False), ('mifgsm', 'l2', True)])
def test_budget_and_range(batch, method, norm, random_start):
    x, w = batch
    eps = 0.05
    scale = torch.tensor([2.0, 1.0, 4.0]).view(1, 3, 1, 1)  # per-channel, like std != 127.5
    lower, upper = -scale / 2, scale / 2
    x = torch.max(torch.min(x * scale / 2, upper), lower)
    res = attack(linear_objective(w), x, eps, method, steps=4, norm=norm, random_start=random_start,
                 lower=lower, upper=upper, scale=scale,
                 generator=torch.Generator().manual_seed(1))
    size = perturbation_norm(res.x_adv - x, norm, scale)
    assert bool((size <= eps * (1 + 1e-5)).all()), size
    assert bool((res.x_adv >= lower).all()) and bool((res.x_adv <= upper).all())
    assert float(size.max()) > 0


@pytest.mark.parametrize('method', ['fgsm', 'pgd', 'mifgsm'])
def test_attack_raises_objective(batch, method):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Tanh(), torch.nn.Flatten(),
                              torch.nn.LazyLinear(1))
    x, _ = batch
    net(x)
    obj = lambda z: F.softplus(-net(z)).mean()  # noqa: E731
    res = attack(obj, x, 4 / 255, method, steps=3)
    assert float(obj(res.x_adv)) > float(obj(x))


def test_no_parameter_gradient(batch):
    x, _ = batch
    net = torch.nn.Conv2d(3, 1, 3)
    attack(lambda z: net(z).mean(), x, 0.1, 'pgd', steps=2)
    assert all(p.grad is None for p in net.parameters())


def test_non_finite_gradient_zeroes_that_samples_perturbation(batch):
    x, w = batch
    nan_second = torch.ones(len(x), 1, 1, 1)
    nan_second[1] = float('nan')
    res = attack(lambda z: (z * w * nan_second).sum(), x, 0.1, 'pgd', steps=2)
    assert int(res.nonfinite) == 1 and res.nonfinite.dtype == torch.long
    assert torch.equal(res.x_adv[1], x[1])
    assert not torch.equal(res.x_adv[0], x[0])
    res = attack(lambda z: (z * float('nan')).sum(), x, 0.1)
    assert int(res.nonfinite) == len(x) and torch.equal(res.x_adv, x)


@pytest.mark.parametrize('method', ['fgsm', 'pgd', 'mifgsm'])
def test_a_given_first_gradient_replaces_the_first_evaluation(batch, method):
    from mmagic_asgan.attacks import _input_grad
    x, w = batch
    calls = []

    def objective(z):
        calls.append(1)
        return linear_objective(w)(z)

    plain = attack(objective, x, 0.05, method, steps=3)
    evaluations = len(calls)
    calls.clear()
    _, grad = _input_grad(linear_objective(w), x)
    given = attack(objective, x, 0.05, method, steps=3, first_grad=grad)
    assert len(calls) == evaluations - 1
    assert torch.equal(given.x_adv, plain.x_adv)
    with pytest.raises(ValueError, match='random_start'):
        attack(objective, x, 0.05, method, random_start=True, first_grad=grad)


def test_rejects_unknown_method_and_norm(batch):
    x, w = batch
    with pytest.raises(ValueError, match='method'):
        attack(linear_objective(w), x, 0.1, 'cw')
    with pytest.raises(ValueError, match='norm'):
        attack(linear_objective(w), x, 0.1, norm='l1')


def test_random_direction_is_the_equal_cost_control(batch):
    """Same passes and budget as the attack, a random sign pattern instead of the
    gradient's: the full linf step on every pixel, uncorrelated with the ascent."""
    x, w = batch
    x = x * 0.5  # away from the clip range
    calls = []

    def objective(z):
        calls.append(1)
        return linear_objective(w)(z)

    adversarial = attack(objective, x, 0.05, 'pgd', steps=2)
    evaluations = len(calls)
    calls.clear()
    control = attack(objective, x, 0.05, 'pgd', steps=2, direction='random',
                     generator=torch.Generator().manual_seed(0))
    assert len(calls) == evaluations and int(control.nonfinite) == 0
    step = (attack(objective, x, 0.05, 'fgsm', direction='random') .x_adv - x)
    assert torch.allclose(step.abs(), torch.full_like(x, 0.05), atol=1e-6)
    agreement = (torch.sign(step) == -torch.sign(w).expand_as(x)).float().mean()
    assert 0.4 < float(agreement) < 0.6  # the attack's own step agrees everywhere
    assert torch.equal(torch.sign(adversarial.x_adv - x), -torch.sign(w).expand_as(x))
    with pytest.raises(ValueError, match='direction'):
        attack(objective, x, 0.05, direction='noise')
