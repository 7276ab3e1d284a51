"""Running a module without changing it: frozen parameters, restored buffers."""
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside an MMEngine/PyTorch model wrapper (DDP, ...), or itself."""
    from mmengine.model import is_model_wrapper
    while is_model_wrapper(module) or isinstance(module, nn.parallel.DistributedDataParallel):
        module = module.module
    return module


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Runs ``module`` with its parameters frozen and its buffers restored after.

    Inside the context every parameter has ``requires_grad=False``, so autograd
    can still differentiate through the module with respect to its *input*
    while no parameter gradient can be created. On exit each parameter gets back
    its own previous ``requires_grad`` flag, and every buffer (BatchNorm running
    statistics and batch counters, spectral-norm ``u``/``v`` vectors) gets back
    its value from before: the forward passes inside leave no trace on the
    module's state. The module's train/eval mode is not touched.

    Args:
        module (nn.Module): the (unwrapped) module to run.

    Yields:
        nn.Module: the same module.
    """
    flags = [(p, p.requires_grad) for p in module.parameters()]
    saved = [(b, b.detach().clone()) for b in module.buffers()]
    try:
        for p, _ in flags:
            p.requires_grad_(False)
        yield module
    finally:
        # Through ``.data``: the restore must not bump the buffers' version
        # counters. Autograd saves BatchNorm's running statistics with each
        # forward (they are unused in train-mode backward), so a tracked
        # in-place write here would fail the backward of a D call the model
        # made before this context (e.g. on the fakes) with "modified by an
        # inplace operation".
        for b, value in saved:
            b.data.copy_(value)
        for p, flag in flags:
            p.requires_grad_(flag)
