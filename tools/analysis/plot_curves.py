"""Plot losses, FID and AS-GAN telemetry over iterations from MMEngine logs.

Several runs on one figure; runs given the same label (e.g. seeds of one config)
are drawn as their mean with a band from min to max.

Examples:
    python tools/analysis/plot_curves.py work_dirs/quickstart --out curves.png
    python tools/analysis/plot_curves.py work_dirs/base_s0 work_dirs/base_s1 work_dirs/as_s0 \\
        work_dirs/as_s1 --labels baseline baseline AS-FGSM AS-FGSM --out compare.png
"""
import argparse
import sys
from collections import OrderedDict
from pathlib import Path
from typing import List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.run_logs import aggregate, metric_keys, read_scalars, series  # noqa: E402

PANELS = ('loss_disc_real', 'loss_disc_fake', 'loss_gen', 'loss_asgan', 'asgan_flip_rate')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot training curves of MMEngine runs')
    parser.add_argument('work_dirs', nargs='+', type=Path)
    parser.add_argument('--labels', nargs='+', help='one label per work dir (default: its name)')
    parser.add_argument('--keys', nargs='+', help=f'scalar keys to plot (default: FID keys and '
                        f'{", ".join(PANELS)} when present)')
    parser.add_argument('--smooth', type=int, default=1, help='moving-average window (points)')
    parser.add_argument('--out', type=Path, required=True, help='PNG file to write')
    return parser.parse_args(argv)


def _smooth(values, window: int):
    if window <= 1 or len(values) < window:
        return values
    import numpy as np
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode='valid')


def main(argv: Optional[List[str]] = None) -> Path:
    args = parse_args(argv)
    labels = args.labels or [d.name for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        raise SystemExit(f'--labels: {len(labels)} labels for {len(args.work_dirs)} work dirs')
    groups = OrderedDict()
    for work_dir, label in zip(args.work_dirs, labels):
        groups.setdefault(label, []).append(read_scalars(work_dir))
    all_records = [r for runs in groups.values() for run in runs for r in run]
    keys = args.keys or metric_keys(all_records) + [
        k for k in PANELS if any(k in r for r in all_records)]
    cols = min(3, len(keys))
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.4 * rows), squeeze=False)
    colors = {label: f'C{i}' for i, label in enumerate(groups)}
    for ax in axes.flat[len(keys):]:
        ax.axis('off')
    for ax, key in zip(axes.flat, keys):
        for label, runs in groups.items():
            agg = aggregate([series(run, key) for run in runs])
            if agg is None:
                continue
            steps, mean, low, high = agg
            n = len(runs)
            marker = 'o' if len(steps) < 20 else None
            s, m = steps[len(steps) - len(_smooth(mean, args.smooth)):], _smooth(mean, args.smooth)
            ax.plot(s, m, marker=marker, color=colors[label],
                    label=f'{label} (n={n})' if n > 1 else label)
            if n > 1:
                ax.fill_between(steps, low, high, color=colors[label], alpha=0.2)
        ax.set_title(key)
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
    for ax in axes.flat[:len(keys)]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main(sys.argv[1:])
