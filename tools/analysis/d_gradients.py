"""Gradient informativeness: D's input gradient on fixed fakes, side by side.

For each checkpoint, saves a row of fakes and a row of |dD/dx| maps (per-image
normalised), and prints the mean high-frequency energy share of the gradient:
the fraction of its spectral energy above half the Nyquist frequency. Smooth,
image-like gradients (what G can learn from) have a small share; pixel-level
adversarial noise spreads energy evenly (white noise: about 0.80).

Example:
    python tools/analysis/d_gradients.py CONFIG base.pth as.pth --labels baseline AS \\
        --out-dir work_dirs/gradients
"""
import argparse
import json
import sys
from pathlib import Path  # noqa: E402
from typing import List, Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.analysis import (  # noqa: E402
    add_checkpoint_args,
    checkpoint_labels,
    fake_batch,
    high_frequency_share,
    input_gradients,
    load_gan,
)
from mmagic_asgan.module_state import frozen


def _to_uint8(t) -> np.ndarray:
    t = t - t.min()
    return (255 * t / t.max().clamp_min(1e-12)).byte().numpy()


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_checkpoint_args(parser)
    parser.add_argument('--num-images', type=int, default=8)
    args = parser.parse_args(argv)
    import cv2
    labels = checkpoint_labels(args)
    rows, summary = [], {}
    for label, ckpt in zip(labels, args.checkpoints):
        model = load_gan(args.config, ckpt).train()
        fakes = fake_batch(model, args.num_images, args.seed)
        with frozen(model.discriminator) as d:
            grads = input_gradients(d, fakes, batch_size=64)
        share = high_frequency_share(grads)
        summary[label] = dict(checkpoint=ckpt, high_frequency_share=float(share.mean()),
                              high_frequency_share_std=float(share.std()))
        imgs = ((fakes.clamp(-1, 1) + 1) * 127.5).byte()  # BGR, as MMagic
        mags = grads.abs().sum(1, keepdim=True)
        top = np.concatenate([i.permute(1, 2, 0).numpy() if i.shape[0] == 3 else
                              np.repeat(i.permute(1, 2, 0).numpy(), 3, 2) for i in imgs], 1)
        bottom = np.concatenate([np.repeat(_to_uint8(m).transpose(1, 2, 0), 3, 2) for m in mags], 1)
        rows += [top, bottom]
        print(f'{label:>12}: high-frequency share of dD/dx {share.mean():.3f} +- {share.std():.3f} '
              f'({len(fakes)} fakes)')
    grid = np.concatenate(rows, 0)
    png = args.out_dir / 'd_gradients.png'
    cv2.imwrite(str(png), cv2.resize(grid, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST))
    (args.out_dir / 'd_gradients.json').write_text(json.dumps(summary, indent=2))
    print(f'wrote {png} (rows per checkpoint: fakes, |dD/dx|) and d_gradients.json')
    return summary


if __name__ == '__main__':
    main(sys.argv[1:])
