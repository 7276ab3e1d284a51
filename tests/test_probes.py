"""mmagic_asgan.probes: threshold-free measurements, checked in closed form."""
import pytest
import torch

from mmagic_asgan.probes import fgsm, input_gradients, probe, roc_auc


def test_roc_auc_is_the_mann_whitney_probability_with_ties():
    assert roc_auc(torch.tensor([3.0, 4.0]), torch.tensor([1.0, 2.0])) == 1.0
    assert roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])) == 0.0
    assert roc_auc(torch.tensor([1.0, 3.0]), torch.tensor([2.0])) == 0.5
    assert roc_auc(torch.tensor([2.0, 2.0]), torch.tensor([2.0])) == 0.5  # ties count half
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(200, generator=g) + 1, torch.randn(300, generator=g)
    brute = float((a[:, None] > b[None]).float().mean() + 0.5 * (a[:, None] == b[None]).float()
                  .mean())
    assert roc_auc(a, b) == pytest.approx(brute, abs=1e-6)
    with pytest.raises(ValueError):
        roc_auc(torch.tensor([]), b)


class LinearD(torch.nn.Module):
    """D(x) = <w, x> + b per image: everything is known in closed form."""

    def __init__(self, w, b=0.0):
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1, keepdim=True) + self.b


def test_probe_on_a_linear_d():
    g = torch.Generator().manual_seed(1)
    w = torch.randn(1, 1, 4, 4, generator=g) * 0.1
    d = LinearD(w)
    reals = torch.rand(6, 1, 4, 4, generator=g) * 0.5 + 0.25  # inside [-1, 1], far from clips
    fakes = torch.rand(6, 1, 4, 4, generator=g) * 0.5 - 0.75
    lower, upper = torch.tensor(-1.0), torch.tensor(1.0)
    out = probe(d, reals, fakes, [2 / 255], (lower, upper), batch_size=4)
    # the FGSM drop of a linear D: eps * scale * ||w||_1 for every real
    expected_drop = 2 / 255 * 2.0 * float(w.abs().sum())
    assert out['score_drop_e2'] == pytest.approx(expected_drop, rel=1e-5)
    margin = float(d(reals).mean() - d(fakes).mean())
    assert out['score_margin'] == pytest.approx(margin, rel=1e-5)
    assert out['rel_drop_e2'] == pytest.approx(expected_drop / margin, rel=1e-5)
    # the input gradient is w everywhere; per image unit it is scale * w
    assert out['grad_norm_real'] == pytest.approx(2.0 * float(w.norm()), rel=1e-5)
    assert out['grad_norm_fake'] == pytest.approx(2.0 * float(w.norm()), rel=1e-5)
    assert 0 <= out['grad_hf_share_real'] <= 1
    assert 0 <= out['auc_adv_e2'] <= out['auc_clean'] <= 1


def test_fgsm_moves_scores_the_asked_way_and_gradients_are_per_image():
    w = torch.ones(1, 1, 2, 2)
    d = LinearD(w)
    x = torch.zeros(3, 1, 2, 2)
    lower, upper = torch.tensor(-1.0), torch.tensor(1.0)
    down = fgsm(d, x, 4 / 255, 'fake', 2, 2.0, lower, upper)
    up = fgsm(d, x, 4 / 255, 'real', 2, 2.0, lower, upper)
    assert bool((d(down) < d(x)).all()) and bool((d(up) > d(x)).all())
    torch.testing.assert_close(input_gradients(d, x, 2), w.expand(3, 1, 2, 2))
