"""Shared helpers for the tests: tiny image folders and tiny-run config overrides."""
import os.path as osp
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs'


def make_image_folder(root: Path, num_classes: int = 1, per_class: int = 8, size: int = 32,
                      seed: int = 0, channels: int = 3) -> Path:
    """Writes ``root/class_<k>/<i>.png``: smooth random colour images (PNG, uint8)."""
    import cv2
    rng = np.random.default_rng(seed)
    for k in range(num_classes):
        folder = root / f'class_{k}'
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            coarse = rng.integers(0, 256, size=(4, 4, channels), dtype=np.uint8)
            img = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_LINEAR)
            cv2.imwrite(str(folder / f'{i:03d}.png'), img)
    return root


def tiny_overrides(data_root: Path, scale: int, iters: int = 2, batch_size: int = 2,
                   grayscale: bool = False, checkpoint_interval: Optional[int] = None) -> dict:
    """Config overrides that make any GAN config train a few iterations on a tiny
    class-folder dataset on CPU, with no evaluation (metrics need Inception)."""
    load = dict(type='LoadImageFromFile', key='gt')
    if grayscale:
        load['color_type'] = 'grayscale'
    return dict(
        train_dataloader=dict(
            batch_size=batch_size, num_workers=0, persistent_workers=False,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(_delete_=True, type='BasicConditionalDataset', data_root=str(data_root),
                         pipeline=[load, dict(type='Resize', keys='gt', scale=(scale, scale)),
                                   dict(type='PackInputs')])),
        train_cfg=dict(max_iters=iters, val_interval=10**9),
        val_cfg=None, val_dataloader=None, val_evaluator=None,
        test_cfg=None, test_dataloader=None, test_evaluator=None,
        default_hooks=dict(logger=dict(interval=1),
                           checkpoint=dict(interval=checkpoint_interval or iters, save_best=None,
                                           rule=None)),
        env_cfg=dict(cudnn_benchmark=False),
        randomness=dict(seed=0, deterministic=False),
    )


def grow_scale_overrides(data_root: Path, top_scale: int, scales: tuple, iters: int,
                         batch_size: int = 2) -> dict:
    """:func:`tiny_overrides` for progressive-growing GANs (PGGAN, StyleGANv1):
    their GrowScaleImgDataset over the tiny folder, and a schedule that shows
    ``batch_size`` images per iteration, grows a scale every 3 iterations and
    fades each new scale in over its first 2 (transition weights 0, 0.5, 1)."""
    overrides = tiny_overrides(data_root, top_scale, iters=iters, batch_size=batch_size)
    overrides['train_dataloader']['dataset'] = dict(
        _delete_=True, type='GrowScaleImgDataset', data_roots={str(top_scale): str(data_root)},
        pipeline=[dict(type='LoadImageFromFile', key='gt'),
                  dict(type='Resize', keys='gt', scale=(top_scale, top_scale)),
                  dict(type='PackInputs')],
        gpu_samples_base=batch_size,
        gpu_samples_per_scale={str(s): batch_size for s in scales}, len_per_stage=-1)
    kimg = batch_size / 1000
    overrides['model'] = dict(nkimgs_per_scale={str(s): 3 * kimg for s in scales},
                              transition_kimgs=2 * kimg)
    return overrides


def write_config(path: Path, base: str, body: str = '', overrides: Optional[dict] = None) -> Path:
    """Writes a config file: ``_base_ = base``, then ``body``, then ``overrides``
    (a dict, written as top-level assignments)."""
    lines = [f'_base_ = {base!r}', body]
    for key, value in (overrides or {}).items():
        lines.append(f'{key} = {value!r}')
    path.write_text('\n'.join(lines) + '\n')
    return path


TWO_LINES = ("custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)\n"
             "custom_hooks = _base_.get('custom_hooks', []) + [dict(type='RealSampleAttackHook', "
             "{hook_args})]\n")


def as_config_body(**hook_args) -> str:
    """The two lines a user adds to a config, with the hook's arguments."""
    return TWO_LINES.format(hook_args=', '.join(f'{k}={v!r}' for k, v in hook_args.items()))


def scalars(work_dir: Path) -> list:
    """The JSON records of the (only) run in ``work_dir``."""
    import json
    files = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    return [json.loads(line) for line in files[-1].read_text().splitlines() if line.strip()]


def checkpoint_path(work_dir: Path, it: int) -> Path:
    return Path(osp.join(work_dir, f'iter_{it}.pth'))


def load_tool(name: str):
    """Imports ``tools/<name>.py`` (e.g. ``'train'``, ``'analysis/plot_curves'``) as a
    module (tools/ is not a package)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f'tools_{name.replace("/", "_")}',
                                                  ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(config: Path, work_dir: Path, *extra: str):
    """Runs ``tools/train.py CONFIG --work-dir WORK_DIR EXTRA...`` in this process
    (its logger and visualizer are not handed to a later run of the same config:
    lab/run_instances.py)."""
    from lab.run_instances import run_instances_dropped
    with run_instances_dropped():
        runner = load_tool('train').main([str(config), '--work-dir', str(work_dir), *extra])
    _end_loader_workers(runner)
    return runner


def _end_loader_workers(runner) -> None:
    """Ends the train loader's worker processes once the run is over. When a test
    trains several times in one process, the loader of a finished run is collected
    during the next one, and torch then waits up to 5 s for each forked worker to
    exit (measured: 20 s with the 4 workers of the CIFAR configs); a process that
    ends after training, as tools/train.py does, does not pay this."""
    iterator = getattr(getattr(runner.train_loop, 'dataloader_iterator', None), '_iterator', None)
    for worker in getattr(iterator, '_workers', []):
        worker.terminate()


def emulate_cpu_amp(monkeypatch) -> None:
    """fp16/bf16 mixed precision with a real loss scaler on the CPU, as on a GPU
    (lab/amp_emulation.py), undone after the test."""
    from lab.amp_emulation import emulate_cpu_amp as emulate
    emulate(monkeypatch)


def gan(kind: str):
    """A small DCGAN (BatchNorm D, BCE) or SNGAN standard CNN (SN D, hinge), seeded."""
    import torch

    from mmagic.registry import MODELS
    torch.manual_seed(0)
    if kind == 'dcgan':
        return MODELS.build(dict(
            type='DCGAN', noise_size=16, data_preprocessor=dict(type='DataPreprocessor'),
            generator=dict(type='DCGANGenerator', output_scale=32, base_channels=32),
            discriminator=dict(type='DCGANDiscriminator', input_scale=32, output_scale=4,
                               out_channels=1, base_channels=16)))
    return MODELS.build(dict(
        type='GGAN', noise_size=16, data_preprocessor=dict(type='DataPreprocessor'),
        generator=dict(type='SNGANCNNGenerator', output_scale=32, base_channels=32),
        discriminator=dict(type='SNGANCNNDiscriminator', input_scale=32, base_channels=16)))


def real_batch(model, n: int = 4) -> dict:
    """A preprocessed batch of ``n`` random 32x32 colour reals for ``model``'s D step."""
    import torch

    from mmagic.structures import DataSample
    g = torch.Generator().manual_seed(1)
    imgs = [torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8) for _ in range(n)]
    return model.data_preprocessor(
        dict(inputs=dict(img=torch.stack(imgs)), data_samples=[DataSample(gt_img=i) for i in imgs]),
        True)


def model_state(runner) -> dict:
    """A copy of the trained model's state dict (unwrapped)."""
    from mmagic_asgan.module_state import unwrap
    return {k: v.detach().clone() for k, v in unwrap(runner.model).state_dict().items()}


def assert_same_state(a: dict, b: dict) -> None:
    import torch
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f'{len(different)} tensors differ, e.g. {different[:3]}'


SMALL_DCGAN = str(CONFIGS / 'asgan' / 'dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py')


def with_validation(overrides: dict, metric: dict, iters: int = 2) -> dict:
    """Adds to :func:`tiny_overrides` a val (and test) loop on the training folder
    with one metric, evaluated once at the end of ``iters`` iterations."""
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  dataset=dict(overrides['train_dataloader']['dataset']))
    evaluator = dict(type='Evaluator', metrics=[metric])
    overrides.update(val_cfg=dict(type='MultiValLoop'), val_dataloader=loader,
                     val_evaluator=evaluator, test_cfg=dict(type='MultiTestLoop'),
                     test_dataloader=loader, test_evaluator=evaluator,
                     train_cfg=dict(max_iters=iters, val_interval=iters))
    return overrides


# progressive GANs: reals reach D at the current scale; (config, top scale, its scales)
PROGRESSIVE_GANS = {
    'pggan-celeba128': ('mmagic::pggan/pggan_8xb4-12Mimgs_celeba-cropped-128x128.py', 128,
                        (4, 8, 16, 32, 64, 128)),
    'styleganv1-ffhq256': ('mmagic::styleganv1/styleganv1_ffhq-256x256_8xb4-25Mimgs.py', 256,
                           (8, 16, 32, 64, 128, 256)),
}
# class-conditional GANs: D takes the labels (CIFAR-10 configs, 32x32)
CONDITIONAL_GANS = {
    'sngan-proj-cifar10': 'mmagic::sngan_proj/'
                          'sngan-proj_woReLUinplace_lr2e-4-ndisc5-1xb64_cifar10-32x32.py',
    'sagan-cifar10': 'mmagic::sagan/sagan_woReLUinplace_lr2e-4-ndisc5-1xb64_cifar10-32x32.py',
    'biggan-cifar10': 'mmagic::biggan/biggan_2xb25-500kiters_cifar10-32x32.py',
}
