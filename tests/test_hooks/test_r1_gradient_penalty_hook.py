"""R1GradientPenaltyHook: gamma / 2 * E ||grad_x D(x)||^2 at the reals, lazy
intervals, bad options refused, and the penalty in the logged total of a real run.
(Beside the attack hook, AS + R1: tests/test_hooks/test_discriminator_step.py.)"""
import pytest
import torch

from helpers import (
    SMALL_DCGAN,
    as_config_body,
    assert_same_state,
    model_state,
    scalars,
    tiny_overrides,
    train,
    write_config,
)
from mmagic_asgan.hooks import R1GradientPenaltyHook


def _linear_d():
    w = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    d = torch.nn.Conv2d(1, 1, 4, bias=False)
    d.weight.data.copy_(w)
    leaf = torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
    return w, d, leaf


def test_penalty_has_the_closed_form_on_a_linear_d():
    """R1 on a linear D has the closed form gamma / 2 * ||w||^2."""
    w, d, leaf = _linear_d()
    penalty = R1GradientPenaltyHook(gamma=3.0).penalty(d(leaf), leaf)['loss_r1']
    torch.testing.assert_close(penalty, 1.5 * w.pow(2).sum())
    assert penalty.requires_grad  # create_graph: D's parameters get its gradient


def test_lazy_r1_acts_every_interval_with_the_weight_times_interval():
    w, d, leaf = _linear_d()
    lazy = R1GradientPenaltyHook(gamma=3.0, interval=4)
    assert [lazy.acts_at(i) for i in range(5)] == [True, False, False, False, True]
    torch.testing.assert_close(lazy.penalty(d(leaf), leaf)['loss_r1'], 6 * w.pow(2).sum())


@pytest.mark.parametrize('field,bad', [('gamma', 0), ('gamma', -1.0), ('gamma', True),
                                       ('gamma', '1'), ('interval', 0), ('interval', 1.5),
                                       ('interval', True)])
def test_bad_options_are_refused_naming_the_field(field, bad):
    with pytest.raises(ValueError, match=f'{field} must be'):
        R1GradientPenaltyHook(**{field: bad})


def test_through_the_runner_loss_r1_is_logged_in_the_total_and_changes_training(
        tmp_path, image_folder):
    overrides = tiny_overrides(image_folder, 32, iters=2, batch_size=4, grayscale=True)
    body = as_config_body(gamma=10.0).replace('RealSampleAttackHook', 'R1GradientPenaltyHook')
    cfg = write_config(tmp_path / 'r1.py', SMALL_DCGAN, body, overrides)
    runner = train(cfg, tmp_path / 'work')
    for r in scalars(tmp_path / 'work'):
        assert r['loss_r1'] > 0
        assert r['loss'] == pytest.approx(r['loss_disc_fake'] + r['loss_disc_real'] +
                                          r['loss_r1'], rel=1e-5)
    stock = write_config(tmp_path / 'stock.py', SMALL_DCGAN, '', overrides)
    with pytest.raises(AssertionError, match='differ'):  # the penalty changes training
        assert_same_state(model_state(runner), model_state(train(stock, tmp_path / 'stock')))
