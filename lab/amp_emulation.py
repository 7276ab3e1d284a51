"""Mixed precision on the CPU, the way MMEngine runs it on a GPU.

MMEngine's ``AmpOptimWrapper`` refuses to build without an accelerator, builds a
CUDA ``GradScaler`` (which switches itself off without CUDA) and allows only bf16
autocast on the CPU. :func:`emulate_cpu_amp` patches those three places so that
the wrapper runs as on a GPU: ``torch.amp.GradScaler('cpu')`` (dynamic, starting
at 2^16) and ``torch.autocast('cpu')`` in the wrapper's dtype, fp16 included.
The tests and ``tools/dev/gpu_check.py --device cpu`` use it.
"""
from contextlib import contextmanager


def emulate_cpu_amp(monkeypatch=None) -> None:
    """Applies the patches, through pytest's ``monkeypatch`` (undone after the
    test) when given, else for the rest of the process."""
    import torch
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    from mmengine.runner import amp

    @contextmanager
    def cpu_autocast(device_type=None, dtype=None, enabled=True, cache_enabled=None):
        with torch.autocast('cpu', dtype=dtype or torch.bfloat16, enabled=enabled):
            yield

    patches = ((amp_optimizer_wrapper, 'is_cuda_available', lambda: True),
               (amp_optimizer_wrapper, 'GradScaler',
                lambda **kwargs: torch.amp.GradScaler('cpu', **kwargs)),
               (amp, 'autocast', cpu_autocast))
    for module, name, value in patches:
        if monkeypatch is not None:
            monkeypatch.setattr(module, name, value)
        else:
            setattr(module, name, value)
