"""Prepare datasets where the configs expect them (class folders of images).

Examples:
    python tools/prepare_data.py fashion-mnist                  # Debian package or download
    python tools/prepare_data.py cifar10 --archive cifar-10-python.tar.gz
    python tools/prepare_data.py cifar10                         # torchvision download
    python tools/prepare_data.py npz ../shared/data/cifar10/cifar10-train.npz \\
        --class-names cifar10 --out data/cifar10/train
    python tools/prepare_data.py folder ../shared/data/cifar10/cifar10-train-jpeg.zip \\
        --subdir train --out data/cifar10/train
    python tools/prepare_data.py folder /path/to/celeba/cropped_images_aligned_png \\
        --out data/celeba-cropped/cropped_images_aligned_png
    python tools/prepare_data.py subset data/fashion-mnist/train --num 2000 --seed 0 \\
        --out data/fashion-mnist/train-2k
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # lab/ is not installed
from lab import data_prep as dp  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='source', required=True)
    fm = sub.add_parser('fashion-mnist', help='official IDX files (Debian package or download)')
    fm.add_argument('--root', type=Path, help='folder of the IDX .gz files')
    fm.add_argument('--split', choices=['train', 'test'], default='train')
    fm.add_argument('--out', type=Path)
    for name in ('cifar10', 'cifar100'):
        p = sub.add_parser(name, help=f'official {name} python archive, or download')
        p.add_argument('--archive', type=Path, help='the .tar.gz or its extracted folder')
        p.add_argument('--split', choices=['train', 'test'], default='train')
        p.add_argument('--out', type=Path)
    npz = sub.add_parser('npz', help='an .npz with uint8 images (N,H,W[,C]) RGB and labels')
    npz.add_argument('path', type=Path)
    npz.add_argument('--class-names', help="'cifar10', 'fashion-mnist' or comma-separated names")
    npz.add_argument('--out', type=Path, required=True)
    folder = sub.add_parser('folder', help='a folder or .zip of (class folders of) images')
    folder.add_argument('path', type=Path)
    folder.add_argument('--subdir', default='', help='only this sub-folder of the source')
    folder.add_argument('--out', type=Path, required=True)
    subset = sub.add_parser('subset', help='a fixed class-balanced random subset of a prepared '
                            'class-folder dataset (limited-data studies)')
    subset.add_argument('path', type=Path)
    subset.add_argument('--num', type=int, required=True)
    subset.add_argument('--seed', type=int, default=0)
    subset.add_argument('--out', type=Path, required=True)
    parser.add_argument('--limit', type=int, help='only the first N images (for quick tests)')
    parser.add_argument('--download-dir', type=Path, default=Path('data/raw'))
    return parser.parse_args(argv)


PRESETS = {'cifar10': dp.CIFAR10_CLASSES, 'fashion-mnist': dp.FASHION_MNIST_CLASSES}


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.source == 'fashion-mnist':
        x, y, source = dp.load_fashion_mnist(args.split, args.root, args.download_dir)
        out = args.out or Path(f'data/fashion-mnist/{args.split}')
        manifest = dp.write_class_folders(x, y, out, dp.FASHION_MNIST_CLASSES, source, args.limit)
    elif args.source in ('cifar10', 'cifar100'):
        x, y, names, source = dp.load_cifar(args.archive, args.source == 'cifar100', args.split,
                                            args.download_dir)
        out = args.out or Path(f'data/{args.source}/{args.split}')
        manifest = dp.write_class_folders(x, y, out, names, source, args.limit)
    elif args.source == 'npz':
        x, y, names, source = dp.load_npz(args.path)
        if args.class_names:
            names = PRESETS.get(args.class_names, None) or args.class_names.split(',')
        out = args.out
        manifest = dp.write_class_folders(x, y, out, names, source, args.limit)
    elif args.source == 'subset':
        out = args.out
        manifest = dp.subset_image_folder(args.path, out, args.num, args.seed)
    else:
        out = args.out
        manifest = dp.copy_image_folder(args.path, out, args.subdir)
    print(f'{out}: {manifest["count"]} images in {len(manifest["classes"])} folders '
          f'(from {manifest["source"]})')
    return manifest


if __name__ == '__main__':
    try:
        main(sys.argv[1:])
    except dp.DataError as e:
        sys.exit(f'prepare_data: {e}')
