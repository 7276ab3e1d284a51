"""A fast Frechet distance for CPU work: ``FD-SmallCNN``.

Inception FID costs about 0.1 s per image on a 2-core CPU, too slow to follow a
run. This metric fits Gaussians to the 128-d penultimate features of a small CNN
classifier trained on the dataset itself (``tools/train_fd_classifier.py``,
which reports its test accuracy) and returns their Frechet distance. It is
**not FID**: numbers are only comparable with the same classifier file, and are
logged as ``FD-SmallCNN/fd``.
"""
import hashlib
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from mmagic.registry import METRICS

from .offline_fid import OfflineFID


class SmallCNN(nn.Module):
    """Three conv blocks (32-64-128 channels), global average pooling, a linear
    classifier. Input: (N, C, H, W) in [-1, 1] (RGB or grey), any H, W >= 8."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout),
                                 nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2))

        self.in_channels = in_channels
        self.body = nn.Sequential(block(in_channels, 32), block(32, 64), block(64, 128),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(128, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def load_image_folder(root: str, channels: int, size: int = 32,
                      limit: Optional[int] = None) -> Tuple[Tensor, Tensor, List[str]]:
    """All images of ``root/<class>/*`` as (N, C, size, size) in [-1, 1] (RGB or
    grey), labels (N,), class names."""
    import cv2
    classes = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
    if not classes:
        raise FileNotFoundError(f'no class folders in {root} (prepare it with '
                                'tools/prepare_data.py)')
    images, labels = [], []
    for k, name in enumerate(classes):
        for f in sorted((Path(root) / name).iterdir()):
            flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
            img = cv2.imread(str(f), flag)
            if img is None:
                continue
            if img.shape[:2] != (size, size):
                img = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
            images.append(img[..., None] if channels == 1 else img[..., ::-1])
            labels.append(k)
    idx = np.arange(len(images))
    if limit is not None and limit < len(idx):
        idx = np.random.default_rng(0).choice(idx, size=limit, replace=False)
    x = torch.from_numpy(np.stack([images[i] for i in idx])).permute(0, 3, 1, 2).float()
    return (x - 127.5) / 127.5, torch.tensor([labels[i] for i in idx]), classes


def train_classifier(train_root: str, out: str, channels: int, test_root: Optional[str] = None,
                     epochs: int = 2, batch_size: int = 128, lr: float = 2e-3, seed: int = 0,
                     limit: Optional[int] = None) -> dict:
    """Trains :class:`SmallCNN` on a class-folder dataset and saves it with its
    test accuracy (on ``test_root`` when given, else on a held-out 10%)."""
    torch.manual_seed(seed)
    x, y, classes = load_image_folder(train_root, channels, limit=limit)
    if test_root:
        xt, yt, _ = load_image_folder(test_root, channels)
    else:
        perm = torch.randperm(len(x))
        cut = len(x) // 10
        xt, yt, x, y = x[perm[:cut]], y[perm[:cut]], x[perm[cut:]], y[perm[cut:]]
    net = SmallCNN(channels, len(classes))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * (len(x) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(len(x) // batch_size):
            b = perm[i * batch_size:(i + 1) * batch_size]
            xb = x[b]
            xb = torch.where(torch.rand(len(b), 1, 1, 1) < 0.5, xb, xb.flip(3))  # flip aug
            loss = nn.functional.cross_entropy(net(xb), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(c).argmax(1) for c in xt.split(512)])
    accuracy = float((pred == yt).float().mean())
    state = dict(state_dict=net.state_dict(), in_channels=channels, classes=classes,
                 accuracy=accuracy, test_images=len(yt), train_images=len(y), epochs=epochs,
                 seed=seed, train_root=str(train_root), test_root=str(test_root))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, out)
    return dict(path=str(out), accuracy=accuracy, test_images=len(yt), classes=len(classes))


class _Features(nn.Module):
    """The classifier's 128-d features, frozen."""

    def __init__(self, path: str) -> None:
        super().__init__()
        if not osp.isfile(path):
            raise FileNotFoundError(f'FD classifier {path} not found: train it with '
                                    'tools/train_fd_classifier.py')
        state = torch.load(path, map_location='cpu', weights_only=False)
        with torch.random.fork_rng(devices=[]):  # its initialisation, overwritten below,
            # must not draw from the generators the GAN's own initialisation draws next
            self.net = SmallCNN(state['in_channels'], len(state['classes']))
        self.net.load_state_dict(state['state_dict'])
        self.net.eval().requires_grad_(False)
        self.in_channels = state['in_channels']
        self.accuracy = state['accuracy']

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        return self.net.features(x)


@METRICS.register_module()
class ClassifierFD(OfflineFID):
    """Frechet distance in a project-trained classifier's feature space (not FID).

    Args:
        fake_nums (int): generated images to score.
        classifier (str): the file written by ``tools/train_fd_classifier.py``.
        prefix (str): log prefix; keep the ``FD-`` naming. Defaults to ``'FD-SmallCNN'``.
        Other arguments as :class:`OfflineFID` (``real_nums``, ``inception_pkl``,
        ``sample_model``, ``cache_dir`` ...).
    """
    name = 'FD-SmallCNN'
    cache_prefix = 'classifier-fd'

    def __init__(self, fake_nums: int, classifier: str, *args, prefix: str = 'FD-SmallCNN',
                 **kwargs) -> None:
        kwargs['inception_path'] = classifier
        super().__init__(fake_nums, *args, prefix=prefix, **kwargs)
        digest = hashlib.sha256(Path(classifier).read_bytes()).hexdigest()[:8]
        self.cache_prefix = f'classifier-fd-{digest}'

    def _load_inception(self, inception_style: str,
                        inception_path: Optional[str]) -> Tuple[nn.Module, str]:
        return _Features(inception_path), 'SmallCNN'

    def forward_inception(self, image: Tensor) -> Tensor:
        """BGR [0, 255] (N, C, H, W) -> (N, 128) classifier features."""
        image = image.to(self.device)
        if image.shape[1] == 3:
            image = image[:, [2, 1, 0]]
        if image.shape[1] != self.inception.in_channels:
            raise ValueError(f'the FD classifier takes {self.inception.in_channels}-channel '
                             f'images, got {image.shape[1]}')
        return self.inception((image - 127.5) / 127.5)

    def compute_metrics(self, fake_results: Sequence) -> dict:
        result = super().compute_metrics(fake_results)
        return dict(fd=result['fid'], mean=result['mean'], cov=result['cov'])
