"""Split a bundle of files into parts that each fit one device call, and put it back together.

The device tool carries at most 64 MiB (working tree included) per call, so the GPU
study's bundle (wheels, the mmcv source release, the Inception weights, CIFAR-10) travels
in several parts, one call each. ``pack`` (here) cuts the files into parts of at most
``--limit-mib`` MiB, splitting the large files where needed; ``assemble`` (on the device)
checks every piece that has arrived (sha256), rebuilds each file whose pieces are all
there, checks the whole file's sha256 and marks each category complete. Standard library
only: it runs with any Python 3.8+ here and there.

Examples:
    # here: wheels first (never split), then the large files (split where needed)
    python3 tools/dev/gpu_bundle_parts.py pack --out .gpu_bundle --limit-mib 56 \\
        wheel=staging/wheel/a.whl data=staging/data/cifar10-train-jpeg.zip weights=...
    python3 tools/dev/gpu_bundle_parts.py completes --bundle .gpu_bundle wheel data
    # on the device, after each carried part
    python3 tools/dev/gpu_bundle_parts.py assemble --bundle .gpu_bundle --out .gpu_env/bundle

Layout: ``<out>/partN/`` holds pieces (``NAME`` when whole, ``NAME.pieceKofM`` when split)
and a copy of ``manifest.json``; ``assemble`` writes ``<out>/<category>/NAME`` and
``<out>/<category>/.complete`` once every file of the category is there.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

MIB = 1024 * 1024
MANIFEST = 'manifest.json'
MANIFEST_RESERVE = 64 * 1024  # room kept in each part for its copy of the manifest
COMPLETE = '.complete'
FORMAT = 1
_BUFFER = 4 * MIB
_PART_RE = re.compile(r'^part(\d+)$')


class BundleError(RuntimeError):
    """A bundle that cannot be packed or assembled (size, checksum, mixed bundles)."""


@dataclass
class Piece:
    """A byte range of one file, stored in one part."""
    part: str
    file: str
    offset: int
    size: int
    sha256: str = ''


@dataclass
class BundleFile:
    """One file of the bundle and where its pieces travel."""
    category: str
    name: str
    size: int
    sha256: str = ''
    pieces: List[Piece] = field(default_factory=list)


def sha256_file(path: Path, offset: int = 0, size: Optional[int] = None) -> str:
    """sha256 of ``size`` bytes of ``path`` from ``offset`` (the whole file by default)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        f.seek(offset)
        left = os.path.getsize(path) - offset if size is None else size
        while left > 0:
            block = f.read(min(_BUFFER, left))
            if not block:
                raise BundleError(f'{path}: shorter than expected')
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def plan_parts(sizes: Sequence[Tuple[str, int]], limit: int,
               split_min: int) -> List[List[Tuple[int, int, int]]]:
    """Places items (in the given order) into parts of at most ``limit`` bytes.

    An item smaller than ``split_min`` is never split: it goes whole into the first part
    with room (first fit), else into a new part. A larger item goes whole into the first
    part with room if there is one; otherwise it fills the free space of the existing
    parts in order (skipping gaps under ``split_min`` unless it is the item's last piece)
    and then new parts.

    Args:
        sizes: ``(name, size)`` per item, in packing order.
        limit: the most bytes a part may hold.
        split_min: items under this size are never split; no piece of a split item
            is smaller, except its last one.

    Returns:
        Per part, its pieces as ``(item index, offset, size)``.
    """
    if limit <= 0:
        raise BundleError('the part limit must be positive')
    parts: List[List[Tuple[int, int, int]]] = []
    free: List[int] = []

    def new_part() -> int:
        parts.append([])
        free.append(limit)
        return len(parts) - 1

    for index, (name, size) in enumerate(sizes):
        whole = next((p for p, room in enumerate(free) if room >= size), None)
        if whole is not None or size <= min(split_min, limit):
            p = new_part() if whole is None else whole
            parts[p].append((index, 0, size))
            free[p] -= size
            continue
        offset = 0
        for p in range(len(parts)):
            left = size - offset
            if left == 0:
                break
            if free[p] >= split_min or free[p] >= left > 0:
                take = min(free[p], left)
                parts[p].append((index, offset, take))
                free[p] -= take
                offset += take
        while offset < size:
            p = new_part()
            take = min(limit, size - offset)
            parts[p].append((index, offset, take))
            free[p] -= take
            offset += take
    return parts


def _piece_name(name: str, index: int, count: int) -> str:
    return name if count == 1 else f'{name}.piece{index + 1}of{count}'


def _copy_range(src: Path, dest: Path, offset: int, size: int) -> str:
    """Copies ``size`` bytes of ``src`` from ``offset`` to ``dest``; returns their sha256."""
    digest = hashlib.sha256()
    with open(src, 'rb') as fin, open(dest, 'wb') as fout:
        fin.seek(offset)
        left = size
        while left > 0:
            block = fin.read(min(_BUFFER, left))
            if not block:
                raise BundleError(f'{src}: shorter than expected')
            digest.update(block)
            fout.write(block)
            left -= len(block)
    return digest.hexdigest()


def _bundle_id(files: List[BundleFile]) -> str:
    text = json.dumps([(f.category, f.name, f.size, f.sha256) for f in files])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pack(items: Sequence[Tuple[str, Path]], out_dir: Path, limit: int,
         split_min: int = 8 * MIB, manifest_reserve: int = MANIFEST_RESERVE) -> dict:
    """Writes ``out_dir/partN/`` (pieces and ``manifest.json``) and ``out_dir/manifest.json``.

    Earlier ``partN`` folders of ``out_dir`` are removed first; nothing else is touched.

    Args:
        items: ``(category, path)`` per file, in packing order (put what the device
            needs first, e.g. the wheels, first).
        out_dir: the bundle folder.
        limit: the most bytes a part may hold, its manifest included.
        split_min: files under this size are never split.
        manifest_reserve: bytes of each part kept for its copy of the manifest.

    Raises:
        BundleError: duplicate file names, a bad category, or a manifest larger than
            ``manifest_reserve``.

    Returns:
        The manifest (also written as JSON).
    """
    names = [p.name for _, p in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BundleError(f'two files with the same name: {duplicates}')
    for category, _ in items:
        if not re.fullmatch(r'[A-Za-z0-9_.-]+', category) or category.startswith('.'):
            raise BundleError(f'bad category name {category!r}')
    files = [BundleFile(category, Path(p).name, os.path.getsize(p), sha256_file(Path(p)))
             for category, p in items]
    layout = plan_parts([(f.name, f.size) for f in files], limit - manifest_reserve, split_min)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_dir() and _PART_RE.match(old.name):
            shutil.rmtree(old)
    counts: Dict[int, int] = {}
    for part in layout:
        for index, _, _ in part:
            counts[index] = counts.get(index, 0) + 1
    seen: Dict[int, int] = {}
    for number, part in enumerate(layout, start=1):
        part_name = f'part{number}'
        (out_dir / part_name).mkdir()
        for index, offset, size in part:
            bundle_file = files[index]
            k = seen.get(index, 0)
            seen[index] = k + 1
            piece_file = _piece_name(bundle_file.name, k, counts[index])
            digest = _copy_range(Path(items[index][1]), out_dir / part_name / piece_file,
                                 offset, size)
            bundle_file.pieces.append(Piece(part_name, piece_file, offset, size, digest))
    manifest = dict(format=FORMAT, bundle_id=_bundle_id(files), limit_bytes=limit,
                    parts=[f'part{n}' for n in range(1, len(layout) + 1)],
                    files=[asdict(f) for f in files])
    text = json.dumps(manifest, indent=1)
    if len(text.encode()) > manifest_reserve:
        raise BundleError(f'the manifest ({len(text.encode())} bytes) exceeds the room kept '
                          f'for it in each part ({manifest_reserve} bytes)')
    (out_dir / MANIFEST).write_text(text)
    for part_name in manifest['parts']:
        (out_dir / part_name / MANIFEST).write_text(text)
    return manifest


def part_sizes(bundle_dir: Path) -> Dict[str, int]:
    """Bytes in each ``partN`` folder (pieces and manifest)."""
    sizes = {}
    for part in sorted(bundle_dir.iterdir(), key=lambda p: p.name):
        match = _PART_RE.match(part.name)
        if part.is_dir() and match:
            sizes[part.name] = sum(f.stat().st_size for f in part.iterdir() if f.is_file())
    return dict(sorted(sizes.items(), key=lambda kv: int(kv[0][4:])))


def load_manifest(bundle_dir: Path) -> dict:
    """The manifest of the parts present in ``bundle_dir`` (all must come from one bundle)."""
    found = [bundle_dir / MANIFEST] if (bundle_dir / MANIFEST).is_file() else []
    found += sorted(p / MANIFEST for p in bundle_dir.iterdir()
                    if p.is_dir() and _PART_RE.match(p.name) and (p / MANIFEST).is_file())
    if not found:
        raise BundleError(f'no {MANIFEST} in {bundle_dir} or its partN folders: '
                          'no part has been carried yet')
    manifests = [json.loads(p.read_text()) for p in found]
    ids = {m['bundle_id'] for m in manifests}
    if len(ids) > 1:
        raise BundleError(f'parts of different bundles in {bundle_dir} ({sorted(ids)}): '
                          'carry parts of one bundle (re-run tools/dev/gpu_bundle.sh and the calls)')
    if manifests[0].get('format') != FORMAT:
        raise BundleError(f'manifest format {manifests[0].get("format")} (expected {FORMAT})')
    return manifests[0]


def completing_part(manifest: dict, categories: Sequence[str]) -> int:
    """The number of the part after which every file of ``categories`` is complete
    (parts are carried in order); 0 when the categories hold no files."""
    last = 0
    for f in manifest['files']:
        if f['category'] in categories:
            last = max([last] + [int(p['part'][4:]) for p in f['pieces']])
    return last


def _assemble_file(bundle_dir: Path, entry: dict, dest: Path) -> None:
    """Concatenates the pieces of ``entry`` into ``dest`` (through a temporary file),
    checking every piece's and the whole file's sha256."""
    tmp = dest.with_name(dest.name + '.tmp')
    whole = hashlib.sha256()
    try:
        with open(tmp, 'wb') as fout:
            for piece in sorted(entry['pieces'], key=lambda p: p['offset']):
                src = bundle_dir / piece['part'] / piece['file']
                digest = hashlib.sha256()
                with open(src, 'rb') as fin:
                    while True:
                        block = fin.read(_BUFFER)
                        if not block:
                            break
                        digest.update(block)
                        whole.update(block)
                        fout.write(block)
                if digest.hexdigest() != piece['sha256']:
                    raise BundleError(f'{src}: sha256 mismatch (damaged in transfer?)')
        if whole.hexdigest() != entry['sha256']:
            raise BundleError(f'{dest.name}: sha256 of the reassembled file does not match')
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def assemble(bundle_dir: Path, out_dir: Path) -> dict:
    """Rebuilds every file whose pieces have all arrived into ``out_dir/<category>/``.

    A file already there with the right size and a matching ``.sha256`` stamp is kept.
    ``out_dir/<category>/.complete`` is written once all files of a category are there.

    Returns:
        ``{'complete': [categories], 'incomplete': {category: [missing parts]},
        'files': {category: [names present]}}``.

    Raises:
        BundleError: a piece or a reassembled file fails its sha256 check.
    """
    manifest = load_manifest(bundle_dir)
    by_category: Dict[str, List[dict]] = {}
    for entry in manifest['files']:
        by_category.setdefault(entry['category'], []).append(entry)
    report: dict = dict(complete=[], incomplete={}, files={})
    for category, entries in by_category.items():
        folder = out_dir / category
        folder.mkdir(parents=True, exist_ok=True)
        missing_parts = set()
        present = []
        for entry in entries:
            dest = folder / entry['name']
            stamp = folder / (entry['name'] + '.sha256')
            if (dest.is_file() and dest.stat().st_size == entry['size'] and stamp.is_file()
                    and stamp.read_text().strip() == entry['sha256']):
                present.append(entry['name'])
                continue
            absent = [p['part'] for p in entry['pieces']
                      if not (bundle_dir / p['part'] / p['file']).is_file()
                      or (bundle_dir / p['part'] / p['file']).stat().st_size != p['size']]
            if absent:
                missing_parts.update(absent)
                continue
            _assemble_file(bundle_dir, entry, dest)
            stamp.write_text(entry['sha256'] + '\n')
            present.append(entry['name'])
        report['files'][category] = present
        if missing_parts:
            report['incomplete'][category] = sorted(missing_parts, key=lambda p: int(p[4:]))
            (folder / COMPLETE).unlink(missing_ok=True)
        else:
            report['complete'].append(category)
            (folder / COMPLETE).write_text(manifest['bundle_id'] + '\n')
    return report


def _parse_items(specs: Sequence[str]) -> List[Tuple[str, Path]]:
    items = []
    for spec in specs:
        if '=' not in spec:
            raise BundleError(f'{spec!r}: expected CATEGORY=PATH')
        category, path = spec.split('=', 1)
        if not Path(path).is_file():
            raise BundleError(f'{path}: no such file')
        items.append((category, Path(path)))
    return items


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('pack', help='cut files into partN folders (here)')
    p.add_argument('--out', type=Path, required=True)
    p.add_argument('--limit-mib', type=float, required=True)
    p.add_argument('--split-min-mib', type=float, default=8.0,
                   help='files under this size are never split (default 8)')
    p.add_argument('items', nargs='+', metavar='CATEGORY=PATH')
    a = sub.add_parser('assemble', help='check and rebuild the files of the parts present')
    a.add_argument('--bundle', type=Path, required=True)
    a.add_argument('--out', type=Path, required=True)
    c = sub.add_parser('completes', help='the part after which these categories are complete')
    c.add_argument('--bundle', type=Path, required=True)
    c.add_argument('categories', nargs='+')
    s = sub.add_parser('sizes', help='bytes per part')
    s.add_argument('--bundle', type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == 'pack':
            manifest = pack(_parse_items(args.items), args.out, int(args.limit_mib * MIB),
                            int(args.split_min_mib * MIB))
            sizes = part_sizes(args.out)
            for part in manifest['parts']:
                held = [f"{f['name']}{'' if len(f['pieces']) == 1 else ' (piece)'}"
                        for f in manifest['files'] for p in f['pieces'] if p['part'] == part]
                print(f'{part}: {sizes[part] / MIB:.2f} MiB, {len(held)} files: '
                      + ', '.join(held))
        elif args.command == 'assemble':
            report = assemble(args.bundle, args.out)
            for category in report['complete']:
                print(f'[bundle] {category}: complete ({len(report["files"][category])} files)')
            for category, parts in report['incomplete'].items():
                print(f'[bundle] {category}: incomplete, waiting for {", ".join(parts)}')
        elif args.command == 'completes':
            print(completing_part(load_manifest(args.bundle), args.categories))
        else:
            for part, size in part_sizes(args.bundle).items():
                print(f'{part}\t{size}')
    except BundleError as e:
        print(f'gpu_bundle_parts: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
