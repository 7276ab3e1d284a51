"""Two (or more) runs side by side: their last sample grids and one metric's curves in one
picture, and a short summary (the quick start's answer).

Example:
    python tools/analysis/compare_runs.py work_dirs/quickstart-baseline \\
        work_dirs/quickstart-asgan --labels baseline AS-GAN --metric FD-SmallCNN/fd \\
        --out work_dirs/quickstart.png
"""
import argparse
import statistics
import sys
from pathlib import Path
from typing import Dict, List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.run_logs import read_scalars, series  # noqa: E402


def last_grid(work_dir: Path) -> Optional[Path]:
    """The newest sample grid the VisualizationHook wrote in ``work_dir``."""
    grids = sorted(work_dir.glob('*/vis_data/vis_image/*.png'), key=lambda p: p.stat().st_mtime)
    return grids[-1] if grids else None


def run_summary(work_dir: Path, metric: str) -> Dict:
    """The metric's series, its final value, the median seconds per iteration."""
    records = read_scalars(work_dir)
    values = series(records, metric)
    times = [r['time'] for r in records if 'time' in r and 'iter' in r]
    return dict(series=values, final=values[max(values)] if values else None,
                sec_per_iter=statistics.median(times) if times else None,
                grid=last_grid(work_dir))


def figure(runs: Dict[str, Dict], metric: str, out: Path) -> Path:
    """One row: each run's last sample grid, then the metric's curves."""
    fig, axes = plt.subplots(1, len(runs) + 1, figsize=(3.6 * (len(runs) + 1), 3.6))
    for ax, (label, run) in zip(axes, runs.items()):
        if run['grid'] is not None:
            ax.imshow(mpimg.imread(run['grid']), cmap='gray')
        final = f"{run['final']:.1f}" if run['final'] is not None else 'n/a'
        ax.set_title(f'{label}: {metric} {final}', fontsize=9)
        ax.axis('off')
    curves = axes[-1]
    for label, run in runs.items():
        steps = sorted(run['series'])
        curves.plot(steps, [run['series'][s] for s in steps], marker='o', label=label)
    curves.set_xlabel('iteration')
    curves.set_ylabel(metric)
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def summary_lines(runs: Dict[str, Dict], metric: str) -> List[str]:
    """Two lines: each run's final metric and time per iteration relative to the first
    run's, and what one seed can and cannot say."""
    (base_label, base), *others = runs.items()
    parts = []
    for label, run in others:
        diff = (run['final'] - base['final']
                if run['final'] is not None and base['final'] is not None else None)
        ratio = (run['sec_per_iter'] / base['sec_per_iter']
                 if run['sec_per_iter'] and base['sec_per_iter'] else None)
        parts.append(f"{label} {run['final']:.1f} ({diff:+.1f}), "
                     f"{ratio:.2f}x the time per iteration" if diff is not None and ratio
                     else f'{label}: n/a')
    return [f"final {metric}: {base_label} {base['final']:.1f}; " + '; '.join(parts),
            'one seed each: a demonstration, not evidence; what holds over seeds is in '
            'README "Results at a glance" (docs/studies/)']


def main(argv: Optional[List[str]] = None) -> List[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', type=Path)
    parser.add_argument('--labels', nargs='+', help='one per work dir (default: its name)')
    parser.add_argument('--metric', default='FD-SmallCNN/fd')
    parser.add_argument('--out', type=Path, required=True, help='the PNG to write')
    args = parser.parse_args(argv)
    labels = args.labels or [d.name for d in args.work_dirs]
    if len(labels) != len(args.work_dirs) or len(labels) < 2:
        parser.error('--labels: one per work dir, two work dirs at least')
    runs = {label: run_summary(d, args.metric) for label, d in zip(labels, args.work_dirs)}
    figure(runs, args.metric, args.out)
    lines = summary_lines(runs, args.metric)
    print('\n'.join(lines + [f'picture: {args.out}']))
    return lines


if __name__ == '__main__':
    main(sys.argv[1:])
