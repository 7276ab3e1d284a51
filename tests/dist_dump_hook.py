"""Test-only hooks for the 2-process DDP tests (imported through custom_imports)."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmagic.registry import HOOKS
from mmagic_asgan.module_state import unwrap


@HOOKS.register_module()
class DumpRankParametersHook(Hook):
    """Writes ``<work_dir>/rank<r>_params.pth``: the unwrapped model's parameters
    and buffers, under ``'asgan_nonfinite'`` this rank's count of non-finite attack
    gradients and under ``'asgan_free_delta'`` its free perturbation (when a
    RealSampleAttackHook runs)."""

    def after_train(self, runner) -> None:
        model = unwrap(runner.model)
        params = {k: v.detach().cpu() for k, v in model.named_parameters()}
        params.update({k: v.detach().cpu() for k, v in model.named_buffers()})
        attack = next((h for h in runner.hooks if type(h).__name__ == 'RealSampleAttackHook'),
                      None)
        if attack is not None and attack.nonfinite is not None:
            params['asgan_nonfinite'] = attack.nonfinite.detach().cpu()
        if attack is not None and attack.free is not None:
            params['asgan_free_delta'] = attack.free.delta.detach().cpu()
        torch.save(params, osp.join(runner.work_dir, f'rank{get_rank()}_params.pth'))


@HOOKS.register_module()
class NonFiniteAttackGradientHook(Hook):
    """On rank ``rank`` only, every input gradient the attack computes has a NaN
    in its first sample (as after an fp16 overflow on one GPU)."""

    def __init__(self, rank: int = 1) -> None:
        self.rank = rank

    def before_train(self, runner) -> None:
        if get_rank() != self.rank:
            return
        from mmagic_asgan import attacks
        from mmagic_asgan.losses import ASGANDiscriminatorLoss
        separate, shared = attacks._input_grad, ASGANDiscriminatorLoss.input_gradient

        def nan_first_sample(grad):
            grad = grad.clone()
            grad[0] = float('nan')
            return grad

        def separate_pass(objective, x):  # the attack's own passes
            value, grad = separate(objective, x)
            return value, nan_first_sample(grad)

        def shared_pass(loss, pred, x):  # the gradient taken from D's call on the reals
            return nan_first_sample(shared(loss, pred, x))

        attacks._input_grad = separate_pass
        ASGANDiscriminatorLoss.input_gradient = shared_pass
