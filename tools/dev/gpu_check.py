"""Maintainers: the one-call GPU check (run on a lent GPU; `--device cpu` here, to test it).

Within one device call of at most 8 minutes (tools/dev/README.md gives the call):

1. import check: torch and CUDA, mmcv with its ops, mmengine, mmagic.models, mmagic_asgan;
2. smoke matrix: DCGAN, this project's SNGAN standard CNN and StyleGAN2 at 32x32, each in
   fp32, bf16 and fp16 with a loss scaler, each with AS-GAN (FGSM `mix`, FGSM `replace`,
   PGD-3, `free`) and R1: a few dozen iterations through the real MMEngine runner; each
   cell asserts finite losses, no non-finite sample and a non-zero perturbation, and (on
   CUDA) counts the synchronising CUDA calls the plug-in's code makes in its D steps
   (`torch.cuda.set_sync_debug_mode('warn')`);
3. cost: the training-step time of each variant against the baseline's, interleaved in
   one process, with a paired bootstrap 95% interval (lab/step_cost.py), per model.

Every result is appended to ``OUT/cells.jsonl`` as it is measured and the summary to
``OUT/summary.json`` at the end, so a run cut off by the call's time limit still returns
what it had. Cells stop being started once ``--max-seconds`` are spent.

Example:
    python tools/dev/gpu_check.py --device cuda --out $OUT --max-seconds 420
    python tools/dev/gpu_check.py --device cpu --tiny --out work_dirs/gpu_check
"""
import argparse
import json
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # lab/ is not installed

CONFIGS = REPO / 'configs' / 'asgan'
MODELS = {
    'dcgan': dict(base=str(CONFIGS / 'dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py'),
                  model=dict(data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
                             generator=dict(out_channels=3), discriminator=dict(in_channels=3))),
    'sngan-cnn': dict(base=str(CONFIGS / 'sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py'),
                      model=dict(generator=dict(base_channels=128),
                                 discriminator=dict(base_channels=32))),
    'stylegan2': dict(base='mmagic::styleganv2/stylegan2_c2_8xb4-800kiters_lsun-church-256x256.py',
                      model=dict(generator=dict(out_size=32), discriminator=dict(in_size=32))),
}
PRECISIONS = ('fp32', 'bf16', 'fp16')
VARIANTS = {
    'fgsm-mix': dict(type='RealSampleAttackHook', attack='fgsm', mode='mix'),
    'fgsm-replace': dict(type='RealSampleAttackHook', attack='fgsm', mode='replace'),
    'pgd3-mix': dict(type='RealSampleAttackHook', attack='pgd', steps=3, mode='mix'),
    'free-replace': dict(type='RealSampleAttackHook', attack='free', mode='replace'),
    'r1': dict(type='R1GradientPenaltyHook', gamma=1.0),
}


def write_images(folder: Path, num: int = 64, seed: int = 0) -> Path:
    """``num`` 32x32 colour images in one class folder: CIFAR-10 train images from
    ``../shared/data/cifar10/cifar10-train.npz`` (or a ``cifar10-train.npz`` in the
    bundle) when found, else smooth random images."""
    import cv2
    import numpy as np
    target = folder / 'class_0'
    target.mkdir(parents=True, exist_ok=True)
    sources = [REPO.parent / 'shared' / 'data' / 'cifar10' / 'cifar10-train.npz',
               REPO / '.gpu_bundle' / 'cifar10-sample.npz']
    source = next((s for s in sources if s.is_file()), None)
    if source is not None:
        images = np.load(source)['images'][:num]
    else:
        rng = np.random.default_rng(seed)
        coarse = rng.integers(0, 256, size=(num, 4, 4, 3), dtype=np.uint8)
        images = np.stack([cv2.resize(c, (32, 32), interpolation=cv2.INTER_LINEAR)
                           for c in coarse])
    for i, img in enumerate(images):
        cv2.imwrite(str(target / f'{i:04d}.png'), img[..., ::-1])  # RGB -> BGR file
    return folder


def cell_config(model: str, variant: Optional[str], data: Path, iters: int, batch: int,
                folder: Path) -> Path:
    """A config file: the model's base, tiny data, no evaluation, the variant's hook."""
    overrides = dict(
        train_dataloader=dict(batch_size=batch, num_workers=0, persistent_workers=False,
                              sampler=dict(type='InfiniteSampler', shuffle=True),
                              dataset=dict(_delete_=True, type='BasicConditionalDataset',
                                           data_root=str(data), pipeline=[
                                               dict(type='LoadImageFromFile', key='gt'),
                                               dict(type='Resize', keys='gt', scale=(32, 32)),
                                               dict(type='PackInputs')])),
        train_cfg=dict(max_iters=iters, val_interval=10**9),
        val_cfg=None, val_dataloader=None, val_evaluator=None,
        test_cfg=None, test_dataloader=None, test_evaluator=None,
        default_hooks=dict(logger=dict(interval=max(1, iters // 4)),
                           checkpoint=dict(interval=10**9, save_last=False, save_best=None,
                                           rule=None)),
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='VisBackend')]),
        model=MODELS[model]['model'], randomness=dict(seed=0))
    lines = [f"_base_ = {MODELS[model]['base']!r}",
             "custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)",
             'custom_hooks = []']
    if variant is not None:
        lines.append(f'custom_hooks = [{hook_of(variant, max(1, iters // 4))!r}]')
    lines += [f'{k} = {v!r}' for k, v in overrides.items()]
    path = folder / f"{model}__{variant or 'baseline'}.py"
    path.write_text('\n'.join(lines) + '\n')
    return path


def hook_of(variant: str, log_interval: int) -> dict:
    """The variant's hook config (AS-GAN at epsilon 2/255, telemetry every
    ``log_interval`` iterations)."""
    hook = dict(VARIANTS[variant])
    if hook['type'] == 'RealSampleAttackHook':
        hook.update(epsilon=2 / 255, log_interval=log_interval)
    return hook


def _amp(cfg, precision: str) -> None:
    if precision != 'fp32':
        from mmagic_asgan.runner_utils import enable_amp
        enable_amp(cfg, 'bfloat16' if precision == 'bf16' else 'float16')


def run_cell(model: str, precision: str, variant: str, data: Path, iters: int, batch: int,
             work: Path, device: str) -> dict:
    """Trains one cell; returns what it measured and whether its checks held."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from lab.run_instances import run_instances_dropped
    cfg = Config.fromfile(str(cell_config(model, variant, data, iters, batch, work)))
    cfg.work_dir = str(work / f'{model}_{precision}_{variant}')
    _amp(cfg, precision)
    start = time.time()
    # the cells of one model and variant share a config name: each gets its own logger
    with warnings.catch_warnings(record=True) as caught, run_instances_dropped():
        warnings.simplefilter('always')
        runner = Runner.from_cfg(cfg)
        if device == 'cuda':
            import torch
            torch.cuda.set_sync_debug_mode('warn')
        try:
            runner.train()
        finally:
            if device == 'cuda':
                import torch
                torch.cuda.set_sync_debug_mode(0)
    hub = runner.message_hub
    scalars = {k.split('/', 1)[1]: float(v.current()) for k, v in hub.log_scalars.items()
               if k.startswith('train/')}
    hook = next((h for h in runner.hooks if type(h).__name__ in (
        'RealSampleAttackHook', 'R1GradientPenaltyHook')), None)
    nonfinite = int(getattr(hook, 'nonfinite', None) or 0)
    plugin_syncs = [str(w.message)[:200] for w in caught if 'synchroniz' in str(w.message)
                    and 'mmagic_asgan' in (w.filename or '')]
    losses = {k: v for k, v in scalars.items() if k.startswith('loss')}
    checks = dict(finite_losses=all(v == v and abs(v) != float('inf') for v in losses.values()),
                  # free's gradient is the scaled D update's: where fp16 overflows there,
                  # the scaler skips the update too and the perturbation waits a step
                  no_nonfinite_sample=nonfinite == 0 or (precision == 'fp16'
                                                         and variant.startswith('free')),
                  perturbed=variant == 'r1' or (scalars.get('asgan_pert_norm') or 0) > 0,
                  no_plugin_sync=not plugin_syncs)
    return dict(model=model, precision=precision, variant=variant, iters=runner.iter,
                seconds=round(time.time() - start, 2), nonfinite=nonfinite,
                pert_norm=scalars.get('asgan_pert_norm'), losses=losses,
                plugin_sync_warnings=plugin_syncs, checks=checks, ok=all(checks.values()))


def measure_cost(model: str, variants: List[str], data: Path, work: Path, repeats: int,
                 batch: int) -> dict:
    """Interleaved training-step timings (lab/step_cost.py) of the variants against
    the baseline, fp32."""
    from mmengine.config import Config

    from lab.step_cost import measure
    regime = cell_config(model, None, data, 10, batch, work)
    spec = Config(dict(name='gpu_check', regimes={model: dict(config=str(regime))},
                       variants=dict(baseline=dict(), **{
                           v: dict(hooks=[hook_of(v, 10**6)]) for v in variants})))
    result = measure(spec, model, variants, work / 'cost', repeats=repeats, warmup=3)
    return {name: {part: {k: round(v, 4) if isinstance(v, float) else v
                          for k, v in entry.items()} if isinstance(entry, dict) else entry
                   for part, entry in parts.items()}
            for name, parts in result.items()}


def import_check(device: str) -> dict:
    """Versions of the stack, whether CUDA is there, whether mmcv's ops load."""
    import mmcv
    import mmengine
    import torch

    import mmagic
    import mmagic_asgan
    out = dict(torch=torch.__version__, mmcv=mmcv.__version__, mmengine=mmengine.__version__,
               mmagic=mmagic.__version__, mmagic_asgan=mmagic_asgan.__version__,
               cuda=torch.cuda.is_available(), python=sys.version.split()[0])
    import mmcv.ops  # noqa: F401

    import mmagic.models  # noqa: F401
    if torch.cuda.is_available():
        out['gpu'] = torch.cuda.get_device_name(0)
    if device == 'cuda' and not out['cuda']:
        raise RuntimeError('--device cuda but torch sees no CUDA device')
    return out


def report(files: Path, into: Path) -> Path:
    """Copies a check's returned files (``cells.jsonl``, ``summary.json``) into ``into``
    and writes ``into/results.md``: a row per cell and the cost ratios."""
    import shutil
    into.mkdir(parents=True, exist_ok=True)
    for name in ('cells.jsonl', 'summary.json'):
        if (files / name).is_file():
            shutil.copy(files / name, into / name)
    records = [json.loads(line) for line in (into / 'cells.jsonl').read_text().splitlines()
               if line.strip()]
    imports = next((r for r in records if r['kind'] == 'imports'), {})
    lines = ['<!-- generated by `python tools/dev/gpu_check.py --report ...`: do not edit -->',
             f"# GPU check\n\n{imports.get('gpu', 'no GPU')}; torch {imports.get('torch')}, "
             f"mmcv {imports.get('mmcv')}, Python {imports.get('python')}.\n",
             '| model | precision | variant | ok | s | non-finite | pert. norm | plugin syncs |'
             ' error |', '|---|---|---|---|---|---|---|---|---|']
    for c in (r for r in records if r['kind'] == 'cell'):
        norm = f"{c['pert_norm']:.5f}" if c.get('pert_norm') is not None else ''
        lines.append(f"| {c['model']} | {c['precision']} | {c['variant']} | {c.get('ok')} | "
                     f"{c.get('seconds', '')} | {c.get('nonfinite', '')} | {norm} | "
                     f"{len(c.get('plugin_sync_warnings', []))} | {c.get('error', '')[:80]} |")
    lines += ['', '| model | variant | training step vs baseline [95% CI] |', '|---|---|---|']
    for cost in (r for r in records if r['kind'] == 'cost'):
        for name, parts in cost.items():
            step = parts.get('train_step', {}) if isinstance(parts, dict) else {}
            if 'ratio' in step:
                lines.append(f"| {cost['model']} | {name} | {step['ratio']:.2f}x "
                             f"[{step['ci_low']:.2f}, {step['ci_high']:.2f}] |")
    out = into / 'results.md'
    out.write_text('\n'.join(lines) + '\n')
    return out


def _append(path: Path, record: dict) -> None:
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    parser.add_argument('--out', type=Path, help='results folder ($OUT)')
    parser.add_argument('--report', type=Path, help='instead: tabulate the files a check '
                        'returned (the device call\'s files_at) into --into')
    parser.add_argument('--into', type=Path, default=REPO / 'results' / 'gpu_check')
    parser.add_argument('--tiny', action='store_true',
                        help='CPU test size: one precision per model, 4 iterations')
    parser.add_argument('--iters', type=int, default=30, help='iterations per cell')
    parser.add_argument('--max-seconds', type=float, default=420,
                        help='start no new cell or cost measurement after this')
    parser.add_argument('--models', nargs='+', choices=list(MODELS), default=list(MODELS))
    parser.add_argument('--precisions', nargs='+', choices=PRECISIONS, default=list(PRECISIONS))
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument('--cost-repeats', type=int, default=30)
    args = parser.parse_args(argv)
    if args.report:
        print(f'wrote {report(args.report, args.into)}')
        return dict(failed=[])
    if args.out is None:
        parser.error('--out is required (the results folder, $OUT on the device)')
    start = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    cells_file = args.out / 'cells.jsonl'
    cells_file.write_text('')
    if args.device == 'cpu':
        from lab.amp_emulation import emulate_cpu_amp
        emulate_cpu_amp()
    iters = 4 if args.tiny else args.iters
    batch = 4 if args.tiny else 16
    precisions = args.precisions[:1] if args.tiny else args.precisions
    summary: Dict[str, object] = dict(device=args.device, started=time.strftime('%FT%TZ'))
    summary['imports'] = import_check(args.device)
    _append(cells_file, dict(kind='imports', **summary['imports']))
    with tempfile.TemporaryDirectory(prefix='gpu_check_') as tmp:  # the cells' runs: removed
        work = Path(tmp)
        data = write_images(work / 'data', num=64)
        cells, stopped = [], None
        for model in args.models:
            for precision in precisions:
                for variant in args.variants:
                    if time.time() - start > args.max_seconds:
                        stopped = stopped or f'{model}/{precision}/{variant}'
                        continue
                    try:
                        cell = run_cell(model, precision, variant, data, iters, batch, work,
                                        args.device)
                    except Exception as e:  # a broken cell is a result, not the end
                        cell = dict(model=model, precision=precision, variant=variant, ok=False,
                                    error=f'{type(e).__name__}: {e}'[:500],
                                    traceback=traceback.format_exc()[-1500:])
                    cells.append(cell)
                    _append(cells_file, dict(kind='cell', **cell))
        costs = {}
        for model in args.models:
            if time.time() - start > args.max_seconds:
                stopped = stopped or f'cost/{model}'
                continue
            try:
                costs[model] = measure_cost(model, args.variants, data, work, 2 if args.tiny
                                            else args.cost_repeats, batch)
            except Exception as e:
                costs[model] = dict(error=f'{type(e).__name__}: {e}'[:500])
            _append(cells_file, dict(kind='cost', model=model, **costs[model]))
    summary.update(cells=len(cells), failed=[c for c in cells if not c.get('ok')],
                   cost=costs, stopped_at=stopped, seconds=round(time.time() - start, 1))
    (args.out / 'summary.json').write_text(json.dumps(summary, indent=1))
    print(f"[gpu_check] {len(cells)} cells, {len(summary['failed'])} failed, "
          f"{summary['seconds']} s; stopped at {stopped}; results in {args.out}")
    return summary


if __name__ == '__main__':
    result = main(sys.argv[1:])
    sys.exit(1 if result['failed'] else 0)
