"""Frechet distance between two image datasets (a sanity figure for a metric).

Examples:
    python tools/analysis/dataset_fd.py data/cifar10/train data/cifar10/train --num 2000 \
        --channels 3 --disjoint --out results/cifar10_cpu/floor.json   # the floor of FID-2k
    python tools/analysis/dataset_fd.py data/fashion-mnist/test data/fashion-mnist/train \\
        --metric fid --num 2000 --channels 1
    python tools/analysis/dataset_fd.py data/fashion-mnist/test data/fashion-mnist/train \\
        --metric fd --classifier work_dirs/fd_classifier/fashion-mnist-smallcnn.pth --channels 1
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch

from mmagic.registry import METRICS
from mmagic_asgan.metrics.classifier_fd import load_image_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # lab/ is not installed
from lab.benchmark import describe_machine  # noqa: E402


def features(metric, root: str, channels: int, num: Optional[int], batch: int = 64,
             x: Optional[torch.Tensor] = None) -> np.ndarray:
    if x is None:
        x, _, _ = load_image_folder(root, channels, limit=num)  # [-1, 1], RGB or grey
    bgr = (x * 127.5 + 127.5)
    if channels == 3:
        bgr = bgr[:, [2, 1, 0]]
    with torch.no_grad():
        return torch.cat([metric.forward_inception(b) for b in bgr.split(batch)]).double().numpy()


def main(argv: Optional[List[str]] = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('a')
    parser.add_argument('b')
    parser.add_argument('--metric', choices=['fid', 'fd'], default='fid')
    parser.add_argument('--classifier', help='for --metric fd')
    parser.add_argument('--channels', type=int, choices=[1, 3], required=True)
    parser.add_argument('--num', type=int, help='random images per set (seed 0); default all')
    parser.add_argument('--disjoint', action='store_true',
                        help='a and b are one folder: compare two disjoint random sets of --num')
    parser.add_argument('--out', help='also write the value, the command and the machine to '
                        'this JSON file')
    args = parser.parse_args(argv)
    if args.disjoint and (args.a != args.b or not args.num):
        parser.error('--disjoint needs a == b and --num')
    import mmagic_asgan  # noqa: F401
    if args.metric == 'fid':
        metric = METRICS.build(dict(type='OfflineFID', fake_nums=1))
        name = 'FID (inception-2015-12-05, offline)'
    else:
        metric = METRICS.build(dict(type='ClassifierFD', fake_nums=1, classifier=args.classifier))
        name = f'FD-SmallCNN (classifier test accuracy {metric.inception.accuracy:.4f})'
    if args.disjoint:
        x, _, _ = load_image_folder(args.a, args.channels, limit=2 * args.num)
        fa, fb = (features(metric, args.a, args.channels, None, x=half)
                  for half in (x[:args.num], x[args.num:]))
    else:
        fa, fb = (features(metric, root, args.channels, args.num) for root in (args.a, args.b))
    value = metric._calc_fid(fa.mean(0), np.cov(fa, rowvar=False), fb.mean(0),
                             np.cov(fb, rowvar=False))[0]
    print(f'{name}: {args.a} ({len(fa)} images) vs {args.b} ({len(fb)} images) = {value:.3f}')
    if args.out:
        command = ['python', 'tools/analysis/dataset_fd.py'] + list(argv or sys.argv[1:])
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(
            metric=name, value=float(value), a=args.a, b=args.b, images=[len(fa), len(fb)],
            command=' '.join(command), machine=describe_machine()), indent=1) + '\n')
    return float(value)


if __name__ == '__main__':
    main(sys.argv[1:])
