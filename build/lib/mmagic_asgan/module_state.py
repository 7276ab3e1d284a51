"""Running a module without changing it: frozen parameters, restored buffers."""
from contextlib import contextmanager
from typing import Iterator, List

from torch import Tensor, nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.utils.spectral_norm import SpectralNorm

# Modules whose buffers are constants (filter kernels): a forward never writes them.
# (MMagic's StyleGAN1 ``Blur``, StyleGAN2's ``UpsampleUpFIRDn`` / ``DownsampleUpFIRDn``.)
STATIC_BUFFER_MODULES = ('Blur', 'UpsampleUpFIRDn', 'DownsampleUpFIRDn')


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside an MMEngine/PyTorch model wrapper (DDP, ...), or itself."""
    from mmengine.model import is_model_wrapper
    while is_model_wrapper(module) or isinstance(module, nn.parallel.DistributedDataParallel):
        module = module.module
    return module


def forward_written_buffers(module: nn.Module) -> List[Tensor]:
    """The buffers a forward pass of ``module`` (in its current train/eval mode)
    may write: running statistics of normalisation layers that are training and
    track them, spectral norm's power-iteration vectors (hook and
    parametrization forms), and, to be safe, every buffer of a module type not
    known to keep its buffers constant (:data:`STATIC_BUFFER_MODULES`)."""
    written = []
    for m in module.modules():
        own = list(m.buffers(recurse=False))
        if not own:
            continue
        if isinstance(m, _NormBase):
            if m.training and m.track_running_stats:
                written += own
        elif type(m).__name__ == '_SpectralNorm':  # torch.nn.utils.parametrizations
            written += own
        elif any(isinstance(h, SpectralNorm) for h in m._forward_pre_hooks.values()):
            written += [b for name, b in m.named_buffers(recurse=False)
                        if name.endswith(('_u', '_v'))]
        elif type(m).__name__ not in STATIC_BUFFER_MODULES:
            written += own
    return written


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Runs ``module`` with its parameters frozen and its buffers restored after.

    Inside the context every parameter has ``requires_grad=False``, so autograd
    can still differentiate through the module with respect to its *input*
    while no parameter gradient can be created. On exit each parameter gets back
    its own previous ``requires_grad`` flag, and every buffer a forward may
    write (:func:`forward_written_buffers`: BatchNorm running statistics and
    batch counters, spectral-norm ``u``/``v`` vectors) gets back its value from
    before: the forward passes inside leave no trace on the module's state.
    Only those buffers are saved (on their device, no host copy). The module's
    train/eval mode is not touched.

    Args:
        module (nn.Module): the (unwrapped) module to run.

    Yields:
        nn.Module: the same module.
    """
    flags = [(p, p.requires_grad) for p in module.parameters()]
    saved = [(b, b.detach().clone()) for b in forward_written_buffers(module)]
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
