"""AdaptiveStrength: ADA's controller on the attack budget (pure, CPU)."""
import pytest
import torch

from mmagic_asgan.adaptive_strength import AdaptiveStrength


def test_strength_follows_the_sign_of_rt_minus_target_at_adas_speed():
    ada = AdaptiveStrength(target=0.6, interval=2, kimg=0.1)  # 0 -> 1 in 100 images
    assert not ada.due(0) and not ada.due(1) and ada.due(2) and ada.due(4)
    confident = torch.tensor([3.0, 2.0, 1.0, -1.0, 5.0])  # signs: 4 real, 1 fake
    ada.observe(confident, 0.0)
    ada.observe(confident.view(5, 1, 1, 1), 0.0)  # score maps are averaged per sample
    assert ada.adjust() == pytest.approx(0.6)  # r_t = (4 - 1) / 5: at the target, no move
    assert ada.strength == 0.0
    ada.observe(torch.ones(10), 0.0)
    assert ada.adjust() == 1.0 and ada.strength == pytest.approx(10 / 100)
    ada.observe(-torch.ones(30), 0.0)
    assert ada.adjust() == -1.0 and ada.strength == 0.0  # clipped at 0
    ada.observe(torch.full((500,), 0.9), 0.5)  # LSGAN's threshold
    ada.adjust()
    assert ada.strength == 1.0  # clipped at 1
    assert ada.adjust() is None and ada.strength == 1.0  # nothing seen: no move


def test_state_round_trips_mid_interval():
    ada = AdaptiveStrength(interval=4, initial=0.25)
    ada.observe(torch.tensor([1.0, -2.0, 3.0]), 0.0)
    copy = AdaptiveStrength(interval=4)
    copy.load_state_dict(ada.state_dict())
    for controller in (ada, copy):
        controller.observe(torch.tensor([1.0]), 0.0)
    assert ada.adjust() == copy.adjust() == pytest.approx(0.5)
    assert ada.strength == copy.strength == pytest.approx(0.25 - 4 / 100_000)  # 0.5 < 0.6


@pytest.mark.parametrize('kwargs,field', [
    (dict(target=1.0), 'adaptive.target'), (dict(interval=0), 'adaptive.interval'),
    (dict(kimg=0), 'adaptive.kimg'), (dict(initial=1.5), 'adaptive.initial')])
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        AdaptiveStrength(**kwargs)
