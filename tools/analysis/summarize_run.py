"""Print where a run's results are: checkpoint, sample grid, FID, AS telemetry, plot.

Example:
    python tools/analysis/summarize_run.py work_dirs/quickstart \\
        --plot work_dirs/quickstart/curves.png
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.run_logs import metric_keys, read_scalars, series  # noqa: E402

TELEMETRY = ('asgan_eps', 'loss_asgan', 'asgan_d_real_clean', 'asgan_d_real_adv',
             'asgan_flip_rate', 'asgan_pert_norm', 'asgan_attack_time', 'asgan_skipped')


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', type=Path)
    parser.add_argument('--plot', type=Path)
    args = parser.parse_args(argv)
    records = read_scalars(args.work_dir)
    last_ckpt = args.work_dir / 'last_checkpoint'
    checkpoint = last_ckpt.read_text().strip() if last_ckpt.exists() else None
    grids = sorted(args.work_dir.glob('*/vis_data/vis_image/*.png'),
                   key=lambda p: p.stat().st_mtime)
    summary = dict(checkpoint=checkpoint, sample_grid=str(grids[-1]) if grids else None,
                   metrics={k: series(records, k) for k in metric_keys(records)},
                   telemetry={k: list(series(records, k).items())[-1]
                              for k in TELEMETRY if series(records, k)},
                   plot=str(args.plot) if args.plot else None)
    print(f'\n==== results in {args.work_dir} ====')
    print(f'checkpoint:   {summary["checkpoint"]}')
    print(f'sample grid:  {summary["sample_grid"]}')
    for key, values in summary['metrics'].items():
        step, value = list(values.items())[-1]
        print(f'{key}:  {value:.2f} (iteration {step})')
    if summary['telemetry']:
        print('AS-GAN telemetry (last logged): ' + ', '.join(
            f'{k}={v:.4g}@{s}' for k, (s, v) in summary['telemetry'].items()))
    print(f'logs:         {args.work_dir}/<timestamp>/ (*.log, vis_data/scalars.json, TensorBoard)')
    if args.plot:
        print(f'curves:       {args.plot}')
    return summary


if __name__ == '__main__':
    main(sys.argv[1:])
