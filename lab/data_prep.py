"""Preparing datasets as the project's configs expect them.

The configs read class folders with MMagic's ``BasicConditionalDataset``::

    data/<name>/train/<class>/<index>.png

(DCGAN ignores the labels; SNGAN's D step needs them even when unconditional.)
Writers never leave a half-written folder that looks complete: images go to a
temporary sibling folder, a manifest (``.prepared.json``) is written last, and
the folder is renamed into place. Preparing again with the same source does
nothing.

Readers:
    * official CIFAR-10/100 python archives (``.tar.gz`` or extracted folder),
      or a torchvision download when no archive is given;
    * an ``.npz`` of uint8 ``images`` (N, H, W[, C]) RGB and ``labels`` (N,);
    * a folder or ``.zip`` of class sub-folders of image files;
    * Fashion-MNIST from its official IDX ``.gz`` files (Debian's
      ``dataset-fashion-mnist`` puts them in ``/usr/share/datasets/fashion-mnist``),
      or a torchvision download.
"""
import gzip
import hashlib
import json
import os
import pickle
import shutil
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

MANIFEST = '.prepared.json'
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm', '.tif', '.webp')
FASHION_MNIST_DEBIAN = Path('/usr/share/datasets/fashion-mnist')
FASHION_MNIST_CLASSES = ('t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt',
                         'sneaker', 'bag', 'ankle-boot')
CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse',
                   'ship', 'truck')


class DataError(RuntimeError):
    """Missing or corrupt input, with what was expected and where."""


# ------------------------------------------------------------------- readers
def read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (optionally gzipped), the MNIST/Fashion-MNIST format."""
    opener = gzip.open if str(path).endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f'cannot read IDX file {path}: {e}') from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f'{path} is not an unsigned-byte IDX file (bad magic {data[:4]!r})')
    ndim = data[3]
    shape = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f'{path}: header says {shape} ({int(np.prod(shape))} bytes) but the '
                        f'file holds {body.size}: truncated or corrupt')
    return body.reshape(shape)


def load_fashion_mnist(split: str = 'train', root: Optional[Path] = None,
                       download_dir: Path = Path('data/raw')) -> Tuple[np.ndarray, np.ndarray, str]:
    """Fashion-MNIST images (N, 28, 28) uint8 and labels, and where they came from.

    ``root``: folder of the official IDX files; default Debian's
    ``/usr/share/datasets/fashion-mnist`` when present, else torchvision downloads
    them into ``download_dir``.
    """
    prefix = 'train' if split == 'train' else 't10k'
    if root is None and FASHION_MNIST_DEBIAN.is_dir():
        root = FASHION_MNIST_DEBIAN
    if root is not None:
        root = Path(root)
        images = root / f'{prefix}-images-idx3-ubyte.gz'
        labels = root / f'{prefix}-labels-idx1-ubyte.gz'
        for f in (images, labels):
            if not f.exists():
                raise DataError(f'Fashion-MNIST: expected {f.name} in {root} (the official IDX '
                                'files; on Debian: apt-get install dataset-fashion-mnist)')
        x, y = read_idx(images), read_idx(labels)
        source = str(root)
    else:
        from torchvision.datasets import FashionMNIST
        ds = FashionMNIST(str(download_dir), train=split == 'train', download=True)
        x, y = ds.data.numpy(), ds.targets.numpy()
        source = f'torchvision download into {download_dir}'
    if len(x) != len(y):
        raise DataError(f'Fashion-MNIST {split}: {len(x)} images but {len(y)} labels')
    return x, y.astype(np.int64), source


def _cifar_batches(source: Path, names: Sequence[str]) -> Iterator[dict]:
    if source.is_dir():
        for name in names:
            path = next(iter(source.rglob(name)), None)
            if path is None:
                raise DataError(f'CIFAR: {name} not found under {source}')
            with open(path, 'rb') as f:
                yield pickle.load(f, encoding='latin1')
        return
    try:
        with tarfile.open(source) as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            for name in names:
                if name not in members:
                    raise DataError(f'CIFAR: {name} not found in {source}')
                yield pickle.load(tar.extractfile(members[name]), encoding='latin1')
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DataError(f'CIFAR: cannot read archive {source}: {e}') from e


def load_cifar(source: Optional[Path], cifar100: bool = False, split: str = 'train',
               download_dir: Path = Path('data/raw')
               ) -> Tuple[np.ndarray, np.ndarray, List[str], str]:
    """CIFAR-10/100 images (N, 32, 32, 3) RGB uint8, labels, class names, source.

    ``source``: the official python archive (``cifar-10-python.tar.gz`` /
    ``cifar-100-python.tar.gz``) or its extracted folder; None downloads it with
    torchvision into ``download_dir``.
    """
    if source is None:
        from torchvision.datasets import CIFAR10, CIFAR100
        ds = (CIFAR100 if cifar100 else CIFAR10)(str(download_dir), train=split == 'train',
                                                 download=True)
        return (ds.data, np.asarray(ds.targets, dtype=np.int64), list(ds.classes),
                f'torchvision download into {download_dir}')
    source = Path(source)
    if not source.exists():
        raise DataError(f'CIFAR: {source} does not exist (expected the official python '
                        'archive or its extracted folder)')
    if cifar100:
        names, label_key, meta_name, meta_key = [split], 'fine_labels', 'meta', 'fine_label_names'
    else:
        names = [f'data_batch_{i}' for i in range(1, 6)] if split == 'train' else ['test_batch']
        label_key, meta_name, meta_key = 'labels', 'batches.meta', 'label_names'
    xs, ys = [], []
    for batch in _cifar_batches(source, names):
        xs.append(np.asarray(batch['data'], dtype=np.uint8).reshape(-1, 3, 32, 32))
        ys.append(np.asarray(batch[label_key], dtype=np.int64))
    meta = next(_cifar_batches(source, [meta_name]))
    x = np.concatenate(xs).transpose(0, 2, 3, 1)
    return x, np.concatenate(ys), list(meta[meta_key]), str(source)


def load_npz(path: Path) -> Tuple[np.ndarray, np.ndarray, Optional[List[str]], str]:
    """Images and labels from an ``.npz`` with keys ``images`` and ``labels``
    (and optionally ``class_names``)."""
    path = Path(path)
    try:
        data = np.load(path)
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f'cannot read {path}: {e}') from e
    for key in ('images', 'labels'):
        if key not in data:
            raise DataError(f'{path}: expected arrays "images" (N, H, W[, C]) uint8 and '
                            f'"labels" (N,); found {sorted(data.files)}')
    x, y = data['images'], data['labels'].astype(np.int64)
    if x.dtype != np.uint8 or x.ndim not in (3, 4) or len(x) != len(y):
        raise DataError(f'{path}: images must be uint8 (N, H, W[, C]) with one label each; got '
                        f'{x.dtype} {x.shape} and {len(y)} labels')
    names = [str(n) for n in data['class_names']] if 'class_names' in data else None
    return x, y, names, str(path)


# ------------------------------------------------------------------- writers
def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def is_prepared(out_dir: Path, fingerprint: str) -> bool:
    """True when ``out_dir`` holds a complete copy made from the same source."""
    manifest = Path(out_dir) / MANIFEST
    if not manifest.exists():
        if Path(out_dir).exists() and any(Path(out_dir).iterdir()):
            raise DataError(f'{out_dir} exists but has no {MANIFEST}: an incomplete or foreign '
                            'copy; delete it and prepare again')
        return False
    return json.loads(manifest.read_text()).get('fingerprint') == fingerprint


def _commit(tmp: Path, out_dir: Path, manifest: dict) -> dict:
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out_dir)
    return manifest


def write_class_folders(images: np.ndarray, labels: np.ndarray, out_dir: Path,
                        class_names: Optional[Sequence[str]] = None, source: str = '',
                        limit: Optional[int] = None) -> dict:
    """Writes ``out_dir/<class>/<index>.png`` (RGB arrays are saved as colour PNG,
    2-D arrays as grey) atomically, with a manifest. Returns the manifest."""
    import cv2
    out_dir = Path(out_dir)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    fingerprint = _fingerprint(source, images.shape, limit, hashlib.sha256(
        images.tobytes()).hexdigest(), hashlib.sha256(labels.tobytes()).hexdigest())
    if is_prepared(out_dir, fingerprint):
        return json.loads((out_dir / MANIFEST).read_text())
    n_classes = int(labels.max()) + 1 if len(labels) else 0
    names = (list(class_names) if class_names is not None else
             [f'class_{k}' for k in range(n_classes)])
    if len(names) < n_classes:
        raise DataError(f'{n_classes} classes in the labels but {len(names)} class names')
    tmp = out_dir.with_name(out_dir.name + f'.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    for name in names[:n_classes]:
        (tmp / name).mkdir(parents=True)
    counts: Dict[str, int] = {}
    for i, (img, label) in enumerate(zip(images, labels)):
        name = names[int(label)]
        bgr = img[..., ::-1] if img.ndim == 3 and img.shape[-1] == 3 else img
        if not cv2.imwrite(str(tmp / name / f'{i:05d}.png'), np.ascontiguousarray(bgr)):
            raise DataError(f'could not write {tmp / name}')
        counts[name] = counts.get(name, 0) + 1
    return _commit(tmp, out_dir, dict(fingerprint=fingerprint, source=source,
                                      count=int(len(images)), shape=list(images.shape[1:]),
                                      classes=counts))


def copy_image_folder(source: Path, out_dir: Path, subdir: str = '') -> dict:
    """Copies image files from a folder or a ``.zip`` (keeping the class
    sub-folders below ``subdir`` and the files' bytes) into ``out_dir``."""
    source, out_dir = Path(source), Path(out_dir)
    if not source.exists():
        raise DataError(f'{source} does not exist (expected a folder or .zip of class folders)')
    prefix = subdir.strip('/') + '/' if subdir else ''
    if source.suffix == '.zip':
        try:
            zf = zipfile.ZipFile(source)
        except zipfile.BadZipFile as e:
            raise DataError(f'{source} is not a readable zip: {e}') from e
        entries = [n for n in zf.namelist()
                   if n.startswith(prefix) and n.lower().endswith(IMAGE_EXTENSIONS)]
        stamp = [(n, zf.getinfo(n).CRC) for n in entries]
    else:
        root = source / subdir if subdir else source
        entries = sorted(str(p.relative_to(source)) for p in root.rglob('*')
                         if p.suffix.lower() in IMAGE_EXTENSIONS)
        stamp = [(n, (source / n).stat().st_size) for n in entries]
    if not entries:
        raise DataError(f'no image files {IMAGE_EXTENSIONS} under {source}/{prefix}')
    fingerprint = _fingerprint(source, subdir, hashlib.sha256(
        json.dumps(stamp).encode()).hexdigest())
    if is_prepared(out_dir, fingerprint):
        return json.loads((out_dir / MANIFEST).read_text())
    tmp = out_dir.with_name(out_dir.name + f'.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    counts: Dict[str, int] = {}
    for name in entries:
        rel = Path(name[len(prefix):]) if prefix else Path(name)
        dest = tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == '.zip':
            dest.write_bytes(zf.read(name))
        else:
            shutil.copyfile(source / name, dest)
        key = str(rel.parent)
        counts[key] = counts.get(key, 0) + 1
    return _commit(tmp, out_dir, dict(fingerprint=fingerprint, source=str(source),
                                      count=len(entries), classes=counts))


def subset_image_folder(source: Path, out_dir: Path, num: int, seed: int = 0) -> dict:
    """Copies a fixed random subset of ``num`` images of a class-folder dataset,
    the same number from every class (the limited-data regime of the studies);
    the files chosen depend only on the source's file names, ``num`` and ``seed``."""
    source, out_dir = Path(source), Path(out_dir)
    classes = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    if not classes:
        raise DataError(f'{source}: no class folders (prepare the full dataset first)')
    files = {c: sorted(p.name for p in (source / c).iterdir()
                       if p.suffix.lower() in IMAGE_EXTENSIONS) for c in classes}
    per_class, extra = divmod(num, len(classes))
    if num < len(classes) or any(len(f) < per_class + 1 for f in files.values()):
        raise DataError(f'subset of {num} images from {source}: need between {len(classes)} and '
                        f'{len(classes) * min(len(f) for f in files.values())}')
    rng = np.random.default_rng(seed)
    chosen = {c: sorted(rng.choice(files[c], size=per_class + (k < extra), replace=False).tolist())
              for k, c in enumerate(classes)}
    fingerprint = _fingerprint(source, num, seed, json.dumps(chosen))
    if is_prepared(out_dir, fingerprint):
        return json.loads((out_dir / MANIFEST).read_text())
    tmp = out_dir.with_name(out_dir.name + f'.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    for c, names in chosen.items():
        (tmp / c).mkdir(parents=True)
        for name in names:
            shutil.copyfile(source / c / name, tmp / c / name)
    return _commit(tmp, out_dir, dict(fingerprint=fingerprint, source=f'{source} (subset, seed '
                                      f'{seed})', count=num,
                                      classes={c: len(n) for c, n in chosen.items()}))
