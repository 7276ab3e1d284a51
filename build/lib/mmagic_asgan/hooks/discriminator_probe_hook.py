"""``DiscriminatorProbeHook``: D's robustness and input gradients during training.

Every ``interval`` iterations the hook measures the current D with
:func:`mmagic_asgan.probes.probe` on held-out reals and on fakes of the current
G (fixed noise), and writes the results to the run's scalars as ``probe/<name>``
(``vis_data/scalars.json`` with the iteration as ``step``, and TensorBoard).
Both networks run in their training mode with frozen parameters and restored
buffers, and the global random generators are forked, so probing changes
nothing in the run: a probed run trains bit for bit like an unprobed one.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from torch import Tensor

from mmagic.registry import DATASETS, HOOKS

from ..module_state import frozen, unwrap
from ..probes import probe
from .discriminator_step import resolve_input_range


@HOOKS.register_module()
class DiscriminatorProbeHook(Hook):
    """Threshold-free robustness of D and its input gradients, over training.

    For unconditional GANs whose D takes the images alone (DCGAN, LSGAN,
    GGAN, WGAN-GP, StyleGAN2 ...).

    Args:
        dataset (dict): config of the held-out real images (an MMagic dataset
            whose pipeline yields ``gt`` as the training pipeline does), e.g.
            the test split.
        interval (int): iterations between probes (also probed after the last).
        num_images (int): reals (a fixed random subset) and fakes per probe.
        epsilons (Sequence[float]): FGSM budgets, image scale.
        batch_size (int): D's batch size in the probe.
        seed (int): picks the reals and the fakes' noise.
        input_range (tuple, optional): ``(low, high)`` of D's input for pixels
            0 and 255; defaults to the data preprocessor's mean/std.
    """
    priority = 'LOW'

    def __init__(self, dataset: dict, interval: int = 500, num_images: int = 256,
                 epsilons: Sequence[float] = (2 / 255, 4 / 255), batch_size: int = 64,
                 seed: int = 0, input_range=None) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'DiscriminatorProbeHook: interval must be an int >= 1, '
                             f'got {interval!r}')
        if not isinstance(num_images, int) or num_images < 2:
            raise ValueError(f'DiscriminatorProbeHook: num_images must be an int >= 2, '
                             f'got {num_images!r}')
        if not all(isinstance(e, (int, float)) and 0 < e <= 1 for e in epsilons):
            raise ValueError('DiscriminatorProbeHook: epsilons must be numbers in (0, 1] '
                             f'(image scale), got {epsilons!r}')
        self.dataset_cfg = dataset
        self.interval = interval
        self.num_images = num_images
        self.epsilons = tuple(float(e) for e in epsilons)
        self.batch_size = batch_size
        self.seed = seed
        self.input_range = input_range
        self._reals: Optional[Tensor] = None

    def before_train(self, runner) -> None:
        model = unwrap(runner.model)
        self._range = resolve_input_range(model, self.input_range)
        dataset = DATASETS.build(self.dataset_cfg)
        if len(dataset) < 2:
            raise ValueError(f'DiscriminatorProbeHook: the probe dataset has {len(dataset)} images')
        rng = np.random.default_rng(self.seed)
        idx = rng.choice(len(dataset), size=min(self.num_images, len(dataset)), replace=False)
        data = model.data_preprocessor(pseudo_collate([dataset[int(i)] for i in idx]), True)
        self._reals = data['data_samples'].gt_img.detach()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        step = runner.iter + 1
        if step % self.interval == 0 or step == runner.max_iters:
            runner.visualizer.add_scalars(
                {f'probe/{k}': v for k, v in self.measure(unwrap(runner.model)).items()},
                step=step)

    def measure(self, model) -> dict:
        """:func:`~mmagic_asgan.probes.probe` of the model's current D."""
        devices = [self._reals.device] if self._reals.is_cuda else []
        with torch.random.fork_rng(devices=devices), frozen(unwrap(model.generator)) as g, \
                frozen(unwrap(model.discriminator)) as d:
            torch.manual_seed(self.seed)
            with torch.no_grad():
                fakes = torch.cat([
                    g(model.noise_fn(num_batches=min(self.batch_size, self.num_images - i)),
                      return_noise=False)
                    for i in range(0, self.num_images, self.batch_size)])
            return probe(d, self._reals, fakes, self.epsilons, self._range, self.batch_size)
