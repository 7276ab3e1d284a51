"""Train the small CNN whose features ``ClassifierFD`` (FD-SmallCNN) uses.

Example (Fashion-MNIST, about 2 minutes on 2 CPU cores):
    python tools/prepare_data.py fashion-mnist
    python tools/prepare_data.py fashion-mnist --split test
    python tools/train_fd_classifier.py data/fashion-mnist/train \\
        --test-data data/fashion-mnist/test \\
        --channels 1 --out work_dirs/fd_classifier/fashion-mnist-smallcnn.pth
"""
import argparse
import sys
from typing import List, Optional

from mmagic_asgan.metrics.classifier_fd import train_classifier


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data', help='class-folder training images')
    parser.add_argument('--test-data', help='class-folder test images (else a 10%% hold-out)')
    parser.add_argument('--channels', type=int, choices=[1, 3], required=True)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--limit', type=int, help='train on N random images only')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    result = train_classifier(args.data, args.out, args.channels, args.test_data, args.epochs,
                              seed=args.seed, limit=args.limit)
    print(f"wrote {result['path']}: test accuracy {result['accuracy']:.4f} on "
          f"{result['test_images']} images, {result['classes']} classes")
    return result


if __name__ == '__main__':
    main(sys.argv[1:])
