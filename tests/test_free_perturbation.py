"""FreePerturbation: FastGAN's persistent perturbation, checked in closed form."""
import pytest
import torch

from mmagic_asgan.free_perturbation import FreePerturbation


def _step(free, x, grad, epsilon=0.1, step_size=0.1, scale=1.0):
    """One D step on x: apply, fake a backward that leaves ``grad``, update."""
    x_adv = free.apply(x, epsilon, scale, -1.0, 1.0)
    x_adv.grad = grad
    return x_adv, int(free.update(x_adv, epsilon, step_size, scale)) == 0


def test_starts_at_zero_steps_along_the_sign_and_stays_in_the_ball():
    free = FreePerturbation()
    x = torch.zeros(2, 1, 2, 2)
    grad = torch.tensor([1.0, -2.0, 0.5, -0.1]).repeat(2).view(2, 1, 2, 2)
    x_adv, ok = _step(free, x, grad)
    assert ok and x_adv.is_leaf and x_adv.requires_grad
    assert torch.equal(x_adv.detach(), x)  # the first D step sees clean reals
    assert torch.allclose(free.delta, 0.1 * grad.sign())
    _, ok = _step(free, x, grad)  # same direction again: stays on the boundary
    assert ok and torch.allclose(free.delta, 0.1 * grad.sign())
    x_adv, _ = _step(free, x, -grad)  # reversed: back to the centre
    assert torch.allclose(x_adv.detach(), 0.1 * grad.sign())  # applied before the update
    assert torch.allclose(free.delta, torch.zeros_like(x), atol=1e-7)
    assert free.updates == 3


def test_persists_across_batches_and_clamps_only_when_applied():
    free = FreePerturbation()
    ones = torch.ones(1, 1, 2, 2)
    _step(free, -ones, ones)  # delta = +0.1
    x_adv, _ = _step(free, ones * 0.95, ones)  # a new batch near the top of the range
    assert torch.allclose(x_adv.detach(), ones)  # clamped to the valid range ...
    assert torch.allclose(free.delta, 0.1 * ones)  # ... the perturbation itself is not


def test_shape_change_restarts_and_a_smaller_epsilon_projects():
    free = FreePerturbation()
    _step(free, torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2), epsilon=0.2, step_size=0.2)
    x_adv = free.apply(torch.zeros(2, 1, 2, 2), 0.05, 1.0, -1.0, 1.0)
    assert torch.allclose(x_adv.detach(), torch.full((2, 1, 2, 2), 0.05))
    x_adv = free.apply(torch.zeros(3, 1, 2, 2), 0.05, 1.0, -1.0, 1.0)
    assert torch.equal(x_adv.detach(), torch.zeros(3, 1, 2, 2))


def test_l2_ball_and_scale():
    free = FreePerturbation(norm='l2')
    x = torch.zeros(1, 1, 2, 2)
    grad = torch.tensor([3.0, 4.0, 0.0, 0.0]).view(1, 1, 2, 2)
    _step(free, x, grad, epsilon=0.5, step_size=1.0, scale=2.0)
    # unit step in budget units is grad / |grad| (scale-free), times scale; projected to 0.5
    assert torch.allclose(free.delta.flatten(), torch.tensor([0.6, 0.8, 0.0, 0.0]))
    assert float((free.delta / 2.0).norm()) == pytest.approx(0.5)


def test_non_finite_gradient_keeps_that_samples_delta_and_missing_gradient_is_an_error():
    free = FreePerturbation()
    x = torch.zeros(2, 1, 2, 2)
    _step(free, x, torch.ones_like(x))
    before = free.delta.clone()
    grad = -torch.ones_like(x)
    grad[1, 0, 0, 0] = float('inf')
    x_adv = free.apply(x, 0.1, 1.0, -1.0, 1.0)
    x_adv.grad = grad
    assert int(free.update(x_adv, 0.1, 0.1, 1.0)) == 1  # counted, on the device
    assert torch.equal(free.delta[1], before[1])  # kept for the non-finite sample
    assert torch.allclose(free.delta[0], torch.zeros_like(x[0]))  # the other one moved
    x_adv = free.apply(x, 0.1, 1.0, -1.0, 1.0)
    with pytest.raises(RuntimeError, match='left no gradient on the perturbed reals'):
        free.update(x_adv, 0.1, 0.1, 1.0)


def test_state_dict_round_trip_and_bad_norm():
    free = FreePerturbation(random_start=True)
    torch.manual_seed(0)
    free.apply(torch.zeros(2, 3, 4, 4), 0.1, 1.0, -1.0, 1.0)
    assert 0 < float(free.delta.abs().max()) <= 0.1
    other = FreePerturbation()
    other.load_state_dict(free.state_dict())
    assert torch.equal(other.delta, free.delta) and other.updates == free.updates
    with pytest.raises(ValueError, match='norm must be one of'):
        FreePerturbation(norm='l1')
