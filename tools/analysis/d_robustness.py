"""Discriminator robustness without a decision threshold, per checkpoint.

For held-out reals and fixed fakes, as D sees them (D in train mode, frozen):
the ROC-AUC of D's scores separating reals from fakes, clean and with both
attacked by FGSM (reals towards "fake", fakes towards "real"); the mean drop of
D's score on reals under FGSM, absolute and relative to D's real-fake margin;
and the norm and high-frequency share of D's input gradient on reals and fakes
(``mmagic_asgan.probes``). Writes a CSV and a PNG (AUC and relative drop against
epsilon).

Example:
    python tools/analysis/d_robustness.py CONFIG base.pth as.pth --labels baseline AS \\
        --epsilons 1 2 4 8 --data-root data/fashion-mnist/test --out-dir work_dirs/robustness
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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.analysis import (  # noqa: E402
    add_checkpoint_args,
    checkpoint_labels,
    fake_batch,
    load_gan,
    probe_checkpoint,
    real_batch,
)


def main(argv: Optional[List[str]] = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_checkpoint_args(parser)
    parser.add_argument('--epsilons', nargs='+', type=float, default=[1, 2, 4, 8],
                        help='in 1/255 image units')
    parser.add_argument('--num-images', type=int, default=512)
    parser.add_argument('--data-root', help='held-out reals (a folder like the training one); '
                        "default: the config's training data")
    args = parser.parse_args(argv)
    labels = checkpoint_labels(args)
    rows = []
    for label, ckpt in zip(labels, args.checkpoints):
        model = load_gan(args.config, ckpt)
        reals = real_batch(args.config, model, args.num_images, args.seed, args.data_root)
        fakes = fake_batch(model.train(), len(reals), args.seed)
        result = probe_checkpoint(model, reals, fakes, [e / 255 for e in args.epsilons])
        for eps in args.epsilons:
            key = f'e{eps:g}'
            rows.append(dict(label=label, checkpoint=ckpt, epsilon_255=eps, images=len(reals),
                             auc_clean=result['auc_clean'], auc_attacked=result[f'auc_adv_{key}'],
                             score_drop=result[f'score_drop_{key}'],
                             relative_drop=result[f'rel_drop_{key}'],
                             score_margin=result['score_margin'],
                             grad_norm_real=result['grad_norm_real'],
                             grad_norm_fake=result['grad_norm_fake'],
                             grad_hf_share_real=result['grad_hf_share_real'],
                             grad_hf_share_fake=result['grad_hf_share_fake']))
    csv_path = args.out_dir / 'd_robustness.csv'
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, title in zip(axes, ('auc_attacked', 'relative_drop'),
                              ('ROC-AUC, reals and fakes attacked',
                               'score drop on reals / margin')):
        for label in labels:
            pts = []
            mine = [r for r in rows if r['label'] == label]
            if key == 'auc_attacked':
                pts.append((0, mine[0]['auc_clean']))
            pts += [(r['epsilon_255'], r[key]) for r in mine]
            ax.plot(*zip(*pts), marker='o', label=label)
        ax.set_xlabel('FGSM epsilon (1/255)')
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    png = args.out_dir / 'd_robustness.png'
    fig.savefig(png, dpi=110)
    for r in rows:
        print(f"{r['label']:>12} eps={r['epsilon_255']:g}/255  AUC clean {r['auc_clean']:.3f} "
              f"attacked {r['auc_attacked']:.3f}  score drop {r['score_drop']:.3f} "
              f"(x{r['relative_drop']:.2f} of the margin)  |grad| real {r['grad_norm_real']:.3g} "
              f"fake {r['grad_norm_fake']:.3g}")
    print(f'wrote {csv_path} and {png}')
    return csv_path


if __name__ == '__main__':
    main(sys.argv[1:])
