"""Tests for mmagic_asgan.gan_terms: each real term equals the model's own."""
import pytest
import torch

import mmagic_asgan  # noqa: F401
from mmagic_asgan.gan_terms import GAN_TYPES, attack_objective, gan_type_of, real_term


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


def test_hinge_attack_objective_has_gradient_where_hinge_is_flat():
    pred = torch.tensor([[2.0], [3.0]], requires_grad=True)
    assert torch.autograd.grad(real_term(pred, 'hinge'), pred)[0].abs().sum() == 0
    assert torch.autograd.grad(attack_objective(pred, 'hinge'), pred)[0].abs().sum() > 0


def test_unknown_gan_type():
    with pytest.raises(ValueError, match='gan_type'):
        real_term(torch.zeros(2, 1), 'smgan')
    assert set(GAN_TYPES) == {'vanilla', 'hinge', 'lsgan', 'wgan'}
