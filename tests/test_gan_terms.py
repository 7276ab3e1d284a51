"""Tests for mmagic_asgan.gan_terms: each real term equals the model's own, and
every attack objective moves D's score on every real towards "fake"."""
import pytest
import torch

import mmagic_asgan  # noqa: F401
from mmagic_asgan.attacks import attack
from mmagic_asgan.gan_terms import (
    DECISION_THRESHOLDS,
    GAN_TYPES,
    OBJECTIVES,
    PGGAN_DRIFT,
    attack_objective,
    gan_type_of,
    real_term,
)


@pytest.mark.parametrize('cls_name,gan_type', [
    ('DCGAN', 'vanilla'), ('LSGAN', 'lsgan'), ('GGAN', 'hinge'), ('SAGAN', 'hinge'),
    ('BigGAN', 'hinge')])
def test_real_term_matches_model_disc_loss(cls_name, gan_type):
    from mmagic.registry import MODELS
    cls = MODELS.get(cls_name)
    pred_fake, pred_real = torch.randn(6, 1), torch.randn(6, 1)
    model = cls.__new__(cls)  # disc_loss reads no state for these models
    _, log_vars = model.disc_loss(pred_fake, pred_real)
    assert gan_type_of(model) == gan_type
    assert float(real_term(pred_real, gan_type)) == pytest.approx(float(log_vars['loss_disc_real']),
                                                                   abs=1e-6)


def test_pggan_real_term_is_its_real_loss_plus_the_real_half_of_its_drift():
    # ProgressiveGrowingGAN.disc_loss: loss_disc_real = -mean(d_real), loss_disc_shift =
    # 0.001 * 0.5 * (d_fake^2 + d_real^2), averaged by parse_losses
    from mmagic.registry import MODELS
    cls = MODELS.get('ProgressiveGrowingGAN')
    assert gan_type_of(cls.__new__(cls)) == 'wgan-drift'
    assert gan_type_of(MODELS.get('StyleGAN1').__new__(MODELS.get('StyleGAN1'))) == 'vanilla'
    pred = torch.randn(7, 1) * 3
    expected = -pred.mean() + 0.001 * 0.5 * pred.pow(2).mean()
    torch.testing.assert_close(real_term(pred, 'wgan-drift'), expected)
    assert PGGAN_DRIFT == 0.001 * 0.5


def test_wgan_real_term():
    # WGANGP.disc_loss also needs D for its penalty; its real term is -mean(d)
    from mmagic.registry import MODELS
    pred = torch.randn(5, 1)
    assert gan_type_of(MODELS.get('WGANGP').__new__(MODELS.get('WGANGP'))) == 'wgan'
    assert torch.equal(real_term(pred, 'wgan'), -pred.mean())


def test_gan_type_of_subclasses_and_unknown():
    from mmagic.registry import MODELS
    assert gan_type_of(MODELS.get('StyleGAN3').__new__(MODELS.get('StyleGAN3'))) == 'vanilla'
    assert gan_type_of(object()) is None


# Scores on both sides of each threshold: far below, just below, just above,
# above LSGAN's/hinge's target 1 (over-confident reals), far above.
SCORES = torch.tensor([-4.0, -0.2, 0.2, 0.6, 1.5, 6.0])


@pytest.mark.parametrize('objective', OBJECTIVES)
@pytest.mark.parametrize('gan_type', GAN_TYPES)
def test_fgsm_lowers_every_reals_score(gan_type, objective):
    """A linear D (each sample's score depends on itself only): FGSM on the
    objective must lower the score of every real, whatever side of the threshold
    (and of LSGAN's target) it is on."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(1, 1, 4, 4, generator=g)
    x = torch.rand(len(SCORES), 1, 4, 4, generator=g) * 0.5 - 0.25
    bias = SCORES - (x * w).flatten(1).sum(1)  # so that D(x) == SCORES

    def d(z):
        return (z * w).flatten(1).sum(1) + bias

    torch.testing.assert_close(d(x), SCORES)
    assert SCORES.min() < DECISION_THRESHOLDS[gan_type] < SCORES.max()
    x_adv = attack(lambda z: attack_objective(d(z), gan_type, objective), x, 8 / 255, 'fgsm',
                   lower=-1.0, upper=1.0, scale=2.0).x_adv
    assert bool((d(x_adv) < SCORES).all()), (d(x_adv) - SCORES).tolist()


def test_ascending_lsgans_loss_itself_would_push_over_confident_reals_up():
    """Why the loss objective falls back to -D(x) above LSGAN's target: the plain
    loss (d - 1)^2 grows with d there (the bug this objective fixes)."""
    pred = torch.tensor([1.5, 3.0], requires_grad=True)
    grad_loss, = torch.autograd.grad(real_term(pred, 'lsgan'), pred)
    grad_objective, = torch.autograd.grad(attack_objective(pred, 'lsgan', 'loss'), pred)
    assert bool((grad_loss > 0).all()) and bool((grad_objective < 0).all())


def test_hinge_objective_has_gradient_where_hinge_is_flat():
    pred = torch.tensor([[2.0], [3.0]], requires_grad=True)
    assert torch.autograd.grad(real_term(pred, 'hinge'), pred)[0].abs().sum() == 0
    assert torch.autograd.grad(attack_objective(pred, 'hinge'), pred)[0].abs().sum() > 0


def test_score_objective_is_minus_the_mean_score():
    pred = torch.randn(5, 1)
    for gan_type in GAN_TYPES:
        assert torch.equal(attack_objective(pred, gan_type, 'score'), -pred.mean())


def test_unknown_gan_type_and_objective():
    with pytest.raises(ValueError, match='gan_type'):
        real_term(torch.zeros(2, 1), 'smgan')
    with pytest.raises(ValueError, match='objective'):
        attack_objective(torch.zeros(2, 1), 'vanilla', 'logit')
    assert set(GAN_TYPES) == {'vanilla', 'hinge', 'lsgan', 'wgan', 'wgan-drift'}
