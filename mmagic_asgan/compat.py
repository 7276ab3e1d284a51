r"""Fixes for upstream MMagic 1.2.0 / MMEngine 0.10.7 bugs that block stock GAN configs.

Applied once when :mod:`mmagic_asgan` is imported (a config's ``custom_imports``
does that before the Runner builds anything). Each fix only makes a stock config
*run* (or, fix 7, load its own checkpoint) where it failed; none changes what a
config trained from scratch computes (importing
the plug-in without switching it on trains bit for bit as without it, tested on
the stock WGAN-GP GP-50 config). Fixes that change numerics are opt-in modules
of :mod:`mmagic_asgan.fixes`. Each fix is small, names its upstream reference,
and is covered by ``tests/test_compat.py`` (which shows it failing without the
fix).

1. ``DCGANDiscriminator.init_weights`` raises ``UnboundLocalError`` for every
   module that is neither a conv nor a BatchNorm (the first one is the
   discriminator itself), so every DCGAN-architecture config dies in
   ``Runner.train()``. open-mmlab/mmagic issue #2109 (fix PR #2123 was closed
   unmerged). Fixed: the same initialisation, with the init info recorded only
   for the modules it initialises.
2. (Not applied on import: it changes what stock configs compute.) ``WGANGP``
   ignores the ``gp_norm_mode`` / ``gp_loss_weight`` keys its configs set;
   the opt-in fix is :mod:`mmagic_asgan.fixes.wgangp_gp_keys`.
3. PyTorch >= 2.6 made ``torch.load(weights_only=True)`` the default. MMEngine
   0.10.7's checkpoint loaders call ``torch.load`` without the argument, so
   loading any MMEngine checkpoint (``--resume``, ``load_from``, ``tools/test.py``)
   fails with ``UnpicklingError`` on ``HistoryBuffer`` and numpy objects in the
   saved message hub. open-mmlab/mmengine issue #1655, PR #1650 (open). Fixed at
   the loader: the local-file and http(s) schemes of ``CheckpointLoader`` (the
   single entry every MMEngine load goes through) are re-registered with
   ``weights_only=False``, which is what these full training-state checkpoints
   need. Like any pickle, load only checkpoints you trust.

4. MMEngine refuses ``mmagic::`` base paths whose folder has a hyphen
   (``_base_ = 'mmagic::wgan-gp/...'`` raises "please specify the package name
   and relative config path"): ``_get_package_and_cfg_path`` checks the path
   with ``\w*::\w*/`` and ``\w`` has no ``-``. MMagic's ``wgan-gp`` configs
   cannot be used as bases at all (found here; MMEngine 0.10.7). Fixed: the
   same check allowing ``-`` and ``.`` in the package folder, in both places
   that import the check (``mmengine.config`` and ``mmengine.hub``). Because ``_base_``
   is resolved before a config's ``custom_imports`` run, this fix is active when
   ``mmagic_asgan`` was imported first: this project's ``tools/train.py`` and
   ``tools/test.py`` do that.

5. PyTorch 2.14's Adam rejects ``betas`` that mix an int and a float ("betas
   must be either both floats or both Tensors"); MMagic's StyleGAN2/3 configs
   write ``betas=(0, 0.99**(...))``, so they cannot build their optimizers.
   Fixed where MMEngine reads an optimizer config
   (``DefaultOptimWrapperConstructor``, which MMagic's multi-optimizer
   constructor uses for each model): numeric betas become floats.

6. MMEngine's PyTorch launcher (``--launcher pytorch``: torchrun,
   ``tools/dist_train.sh``) calls ``torch.cuda.set_device`` in its CUDA branch
   even when there is no CUDA device, so distributed training on CPU with the
   gloo backend dies with "Found no NVIDIA driver"; and the Runner then passes
   ``device_ids=[LOCAL_RANK]`` to every ``MMDistributedDataParallel``, which
   PyTorch refuses for modules on the CPU. Fixed, for exactly these cases: when
   neither CUDA nor MMEngine's MLU/NPU/MUSA devices are available, upstream's
   launcher runs with ``set_device`` a no-op (its other branches and init
   backends unchanged); ``device_ids`` / ``output_device`` are dropped only for
   modules whose parameters are all on the CPU (MMEngine 0.10.7,
   ``mmengine/dist/utils.py``, ``mmengine/runner/runner.py:wrap_model``).

7. Resuming or loading a checkpoint written by a distributed run restores no weights.
   MMagic's GANs run under ``MMSeparateDistributedDataParallel``, which wraps each
   submodule (``generator``, ``discriminator``) in its own DDP, and MMEngine
   0.10.7's ``Runner.save_checkpoint`` writes ``model.state_dict()``, whose keys
   then read ``generator.module.<...>``; its ``load_state_dict`` unwraps the DDP
   submodules and looks for ``generator.<...>``. Every weight is "missing", which a
   non-strict load only logs, so ``--resume`` under DDP trains on from the initial
   weights with the resumed optimizer state, and ``tools/test.py`` on such a
   checkpoint evaluates an untrained model (found here: a 2-process resume restarted
   from the initial weights; ``tests/test_compat.py``). Fixed at the load: a key the
   model lacks is renamed to the model's key it equals once the ``module.``
   segments of DDP wrappers are removed; keys the model has are never touched.

``tools/train.py --amp`` being a no-op for GAN configs (their per-model optimizer
wrappers have no ``type``) is fixed in this project's ``tools/train.py``, not here.
"""
import os
import os.path as osp
from typing import Optional

import torch
import torch.nn as nn

_APPLIED = set()


def fix_dcgan_discriminator_init_weights() -> None:
    """Replaces ``DCGANDiscriminator.init_weights`` by a version without the
    ``UnboundLocalError`` (mmagic issue #2109)."""
    from mmengine.model import normal_init
    from mmengine.model.weight_init import update_init_info
    from torch.nn.modules.batchnorm import _BatchNorm

    from mmagic.models.editors.dcgan.dcgan_discriminator import DCGANDiscriminator
    original = DCGANDiscriminator.init_weights

    def init_weights(self) -> None:
        """DCGAN initialisation: conv weights ~ N(0, 0.02), BN weights ~ N(0, 1)
        and BN biases 0, exactly as upstream; pretrained init_cfg is honoured."""
        if self.init_cfg is not None and self.init_cfg['type'] == 'Pretrained':
            super(DCGANDiscriminator, self).init_weights()
            return
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                normal_init(m, 0, 0.02)
                update_init_info(m, f'{m.__class__.__name__}: normal(0, 0.02)')
            elif isinstance(m, _BatchNorm):
                nn.init.normal_(m.weight.data)
                nn.init.constant_(m.bias.data, 0)
                update_init_info(m, f'{m.__class__.__name__}: weight normal(0, 1), bias 0')

    init_weights.__qualname__ = 'DCGANDiscriminator.init_weights'
    init_weights.__wrapped__ = original
    DCGANDiscriminator.init_weights = init_weights


def _torch_load_trusted(file, map_location=None):
    """``torch.load`` for MMEngine's full training-state checkpoints."""
    return torch.load(file, map_location=map_location, weights_only=False)


def fix_checkpoint_loading_weights_only() -> None:
    """Re-registers MMEngine's local and http(s) checkpoint schemes so that they
    load full checkpoints under PyTorch >= 2.6 (mmengine issue #1655)."""
    from mmengine.dist import get_dist_info
    from mmengine.runner.checkpoint import CheckpointLoader

    def load_from_local(filename: str, map_location=None):
        """Loads a local MMEngine checkpoint (trusted pickle)."""
        filename = osp.expanduser(filename)
        if not osp.isfile(filename):
            raise FileNotFoundError(f'{filename} can not be found.')
        return _torch_load_trusted(filename, map_location)

    def load_from_http(filename: str,
                       map_location=None,
                       model_dir: Optional[str] = None,
                       progress: bool = os.isatty(0)):
        """Downloads (rank 0 first, as MMEngine does) and loads a checkpoint."""
        rank, world_size = get_dist_info()

        def fetch():
            return torch.hub.load_state_dict_from_url(
                filename, model_dir=model_dir, map_location=map_location,
                progress=progress, weights_only=False)

        checkpoint = fetch() if rank == 0 else None
        if world_size > 1:
            torch.distributed.barrier()
            if rank > 0:
                checkpoint = fetch()
        return checkpoint

    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_from_http,
                                     force=True)


def fix_external_base_paths_with_hyphens() -> None:
    """Lets ``_base_ = 'mmagic::wgan-gp/...'`` resolve (folders with '-')."""
    import re

    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    original = config_utils._get_package_and_cfg_path

    def _get_package_and_cfg_path(cfg_path: str):
        if re.match(r'\w*::[\w.-]*/', cfg_path) is None or '::' in cfg_path.split('::', 1)[1]:
            return original(cfg_path)  # upstream's errors for malformed paths
        package, relative = cfg_path.split('::')
        assert package in config_utils.MODULE2PACKAGE, (
            f'mmengine does not support to load {package} config.')
        return config_utils.MODULE2PACKAGE[package], relative

    _get_package_and_cfg_path.__wrapped__ = original
    from mmengine.hub import hub as hub_module  # imports the check by name, like config.py
    for module in (config_utils, config_module, hub_module):
        module._get_package_and_cfg_path = _get_package_and_cfg_path


def fix_integer_adam_betas() -> None:
    """Turns ``betas=(0, 0.99)`` into ``(0.0, 0.99)`` when optimizers are built."""
    from mmengine.optim import DefaultOptimWrapperConstructor
    original_init = DefaultOptimWrapperConstructor.__init__

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        optimizer = optim_wrapper_cfg.get('optimizer') if isinstance(optim_wrapper_cfg,
                                                                    dict) else None
        betas = optimizer.get('betas') if isinstance(optimizer, dict) else None
        if isinstance(betas, (tuple, list)) and all(isinstance(b, (int, float)) for b in betas):
            optim_wrapper_cfg = dict(optim_wrapper_cfg)
            optim_wrapper_cfg['optimizer'] = dict(optimizer, betas=tuple(float(b) for b in betas))
        original_init(self, optim_wrapper_cfg, paramwise_cfg)

    __init__.__wrapped__ = original_init
    DefaultOptimWrapperConstructor.__init__ = __init__


def _no_accelerator() -> bool:
    from mmengine.device import is_mlu_available, is_musa_available, is_npu_available
    return not (torch.cuda.is_available() or is_mlu_available() or is_npu_available()
                or is_musa_available())


def fix_cpu_distributed_launch() -> None:
    """Lets ``--launcher pytorch`` initialise gloo on machines without any
    accelerator, and CPU modules be wrapped in DDP without ``device_ids``."""
    from mmengine.dist import utils as dist_utils
    original = dist_utils._init_dist_pytorch

    def _init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs) -> None:
        if not _no_accelerator():
            return original(backend, init_backend=init_backend, **kwargs)
        set_device = torch.cuda.set_device
        torch.cuda.set_device = lambda device: None  # no CUDA device to pick
        try:
            return original(backend, init_backend=init_backend, **kwargs)
        finally:
            torch.cuda.set_device = set_device

    _init_dist_pytorch.__wrapped__ = original
    dist_utils._init_dist_pytorch = _init_dist_pytorch

    from mmengine.model.wrappers import MMDistributedDataParallel
    original_ddp_init = MMDistributedDataParallel.__init__

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs):
        devices = {p.device.type for p in module.parameters()}
        if devices == {'cpu'}:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        original_ddp_init(self, module=module, detect_anomalous_params=detect_anomalous_params,
                          **kwargs)

    __init__.__wrapped__ = original_ddp_init
    MMDistributedDataParallel.__init__ = __init__


def unwrapped_key(key: str, known: set) -> str:
    """``key`` (a state-dict key or a module prefix) with DDP wrappers' ``module.``
    segments removed, if that (and not ``key`` itself) is ``known``; else ``key``."""
    if key in known or '.module.' not in f'.{key}.':
        return key
    parts = key.split('.')
    stripped = '.'.join(p for i, p in enumerate(parts) if p != 'module' or i == len(parts) - 1)
    return stripped if stripped in known else key


def _keys_and_prefixes(keys) -> set:
    """State-dict keys and every module prefix above them ('' for the root)."""
    known = {''}
    for key in keys:
        parts = key.split('.')
        known.update('.'.join(parts[:i]) for i in range(1, len(parts) + 1))
    return known


def fix_loading_checkpoints_of_distributed_runs() -> None:
    """Maps ``generator.module.<...>`` checkpoint keys (saved under
    ``MMSeparateDistributedDataParallel``) to the model's ``generator.<...>``."""
    from mmengine.runner import checkpoint as checkpoint_module
    original = checkpoint_module.load_state_dict

    def load_state_dict(module, state_dict, strict=False, logger=None):
        known = _keys_and_prefixes(checkpoint_module.get_state_dict(module))
        renamed = {unwrapped_key(k, known): k for k in state_dict}
        if any(new != old for new, old in renamed.items()):
            metadata = getattr(state_dict, '_metadata', None)
            state_dict = type(state_dict)((new, state_dict[old]) for new, old in renamed.items())
            if metadata is not None:
                state_dict._metadata = type(metadata)(
                    (unwrapped_key(k, known), v) for k, v in metadata.items())
        return original(module, state_dict, strict, logger)

    load_state_dict.__wrapped__ = original
    checkpoint_module.load_state_dict = load_state_dict


FIXES = {
    'dcgan_discriminator_init_weights': fix_dcgan_discriminator_init_weights,
    'checkpoint_loading_weights_only': fix_checkpoint_loading_weights_only,
    'external_base_paths_with_hyphens': fix_external_base_paths_with_hyphens,
    'integer_adam_betas': fix_integer_adam_betas,
    'cpu_distributed_launch': fix_cpu_distributed_launch,
    'loading_checkpoints_of_distributed_runs': fix_loading_checkpoints_of_distributed_runs,
}


def apply_all() -> None:
    """Applies every fix once (idempotent)."""
    for name, fix in FIXES.items():
        if name not in _APPLIED:
            fix()
            _APPLIED.add(name)
