"""Test-only hooks that count host syncs over whole training iterations.

Every ``.item()``, ``bool(tensor)`` or ``float(tensor)`` dispatches
``aten._local_scalar_dense``, the op that copies a device value to the host (a
sync on a GPU); on the CPU it is counted the same way. ``StartSyncCount``
(first at ``before_train_iter``) starts counting, ``StopSyncCount`` (last at
``after_train_iter``) stops; the counts per iteration land in :data:`COUNTS`.
"""
import torch
from mmengine.hooks import Hook
from torch.utils._python_dispatch import TorchDispatchMode

from mmagic.registry import HOOKS

COUNTS = []


class _ScalarReads(TorchDispatchMode):

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._local_scalar_dense.default:
            self.count += 1
        return func(*args, **(kwargs or {}))


_mode = [None]


@HOOKS.register_module()
class StartSyncCount(Hook):
    priority = 'HIGHEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        _mode[0] = _ScalarReads()
        _mode[0].__enter__()


@HOOKS.register_module()
class StopSyncCount(Hook):
    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        _mode[0].__exit__(None, None, None)
        COUNTS.append(_mode[0].count)
