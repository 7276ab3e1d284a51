"""A test-only hook: each rank saves its model's parameters after training."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmagic.registry import HOOKS
from mmagic_asgan.module_state import unwrap


@HOOKS.register_module()
class DumpRankParametersHook(Hook):
    """Writes ``<work_dir>/rank<r>_params.pth`` with the unwrapped model's parameters."""

    def after_train(self, runner) -> None:
        params = {k: v.detach().cpu() for k, v in unwrap(runner.model).named_parameters()}
        torch.save(params, osp.join(runner.work_dir, f'rank{get_rank()}_params.pth'))
