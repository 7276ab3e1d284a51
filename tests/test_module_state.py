"""Tests for mmagic_asgan.module_state."""
import torch
from torch import nn

from mmagic_asgan.module_state import frozen, unwrap


def test_frozen_restores_flags_and_buffers():
    torch.manual_seed(0)
    net = nn.Sequential(nn.utils.spectral_norm(nn.Conv2d(3, 4, 3)), nn.BatchNorm2d(4))
    net[1].weight.requires_grad_(False)  # a flag that must come back as it was
    flags = [p.requires_grad for p in net.parameters()]
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with frozen(net):
        assert not any(p.requires_grad for p in net.parameters())
        net(torch.randn(2, 3, 8, 8))  # train mode: BN stats and SN u move
    assert [p.requires_grad for p in net.parameters()] == flags
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_unwrap_plain_module():
    net = nn.Linear(2, 2)
    assert unwrap(net) is net
