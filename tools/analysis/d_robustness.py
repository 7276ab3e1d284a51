"""Discriminator robustness: D's accuracy on real (and fake) samples under FGSM/PGD.

Reals are attacked towards "fake" (ascending D's real-sample loss), fakes towards
"real" (ascending D's score); D is run with frozen parameters and restored buffers.
Writes a CSV and a PNG curve per checkpoint.

Example:
    python tools/analysis/d_robustness.py CONFIG base.pth as.pth --labels baseline AS \\
        --epsilons 0 1 2 4 8 --attacks fgsm pgd --out-dir work_dirs/robustness
(epsilons in 1/255 image units.)
"""
import argparse
import csv
import sys
from pathlib import Path
from typing import List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from mmagic_asgan.analysis import (add_checkpoint_args, checkpoint_labels, fake_batch,  # noqa: E402
                                   load_gan, real_batch, resolve_gan_type, robustness_table)


def main(argv: Optional[List[str]] = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_checkpoint_args(parser)
    parser.add_argument('--epsilons', nargs='+', type=float, default=[0, 1, 2, 4, 8],
                        help='in 1/255 image units')
    parser.add_argument('--attacks', nargs='+', default=['fgsm', 'pgd'], choices=['fgsm', 'pgd', 'mifgsm'])
    parser.add_argument('--steps', type=int, default=5, help='iterations of pgd / mifgsm')
    parser.add_argument('--num-images', type=int, default=512)
    parser.add_argument('--gan-type', help='the D loss, if the model class does not tell')
    args = parser.parse_args(argv)
    labels = checkpoint_labels(args)
    rows = []
    for label, ckpt in zip(labels, args.checkpoints):
        model = load_gan(args.config, ckpt).train()
        gan_type = resolve_gan_type(model, args.gan_type)
        reals = real_batch(args.config, model, args.num_images, args.seed)
        fakes = fake_batch(model, len(reals), args.seed)
        table = robustness_table(model, reals, fakes, [e / 255 for e in args.epsilons],
                                 args.attacks, args.steps, gan_type)
        for (method, eps), (real_acc, fake_acc) in table.items():
            rows.append(dict(label=label, checkpoint=ckpt, attack=method, epsilon_255=eps * 255,
                             real_accuracy=real_acc, fake_accuracy=fake_acc, images=len(reals)))
    csv_path = args.out_dir / 'd_robustness.csv'
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key in zip(axes, ('real_accuracy', 'fake_accuracy')):
        for label in labels:
            for method in args.attacks:
                pts = [(r['epsilon_255'], r[key]) for r in rows
                       if r['label'] == label and r['attack'] == method]
                ax.plot(*zip(*pts), marker='o', label=f'{label} {method}')
        ax.set_xlabel('epsilon (1/255)')
        ax.set_ylabel(key.replace('_', ' '))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    png = args.out_dir / 'd_robustness.png'
    fig.savefig(png, dpi=110)
    for r in rows:
        print(f"{r['label']:>12} {r['attack']:>6} eps={r['epsilon_255']:g}/255  "
              f"real acc {r['real_accuracy']:.3f}  fake acc {r['fake_accuracy']:.3f}")
    print(f'wrote {csv_path} and {png}')
    return csv_path


if __name__ == '__main__':
    main(sys.argv[1:])
