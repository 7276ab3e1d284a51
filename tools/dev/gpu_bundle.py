"""Maintainers: prepares `.gpu_bundle/`, what the one-call GPU check carries to the GPU machine.

The lent GPU machine (tools/dev/README.md) has Python 3.12 with torch 2.11, numpy 2.5,
scipy, OpenCV, matplotlib, tensorboard, transformers 5.17, huggingface-hub 1.33 ... and no
internet. It lacks the OpenMMLab stack, so the bundle carries, as cp312 wheels installed
there with ``pip install --no-index --no-deps --target``:

* mmengine and mmagic at this project's pins, and what they import that the machine lacks
  or has at an incompatible version (:data:`WHEELS`: diffusers 0.24 with huggingface-hub
  < 0.26, transformers < 4.46 and its tokenizers shadow the machine's newer ones; setuptools
  < 81 for ``pkg_resources``; albumentations and its needs);
* mmcv 2.1.0 with its CPU ops, built against torch 2.11 for Python 3.12: copied from
  ``../shared/wheels`` when there, else built HERE by ``tools/dev/build_mmcv.sh`` in a Python
  3.12 venv with torch 2.11 (never on the GPU machine);
* ``sitecustomize.py`` (tools/dev/gpu_sitecustomize.py: numpy 2 lacks ``np.bool8``);
* 64 CIFAR-10 training images (``cifar10-sample.npz``) for the smoke matrix.

The whole call (this bundle and the working tree) must stay within 64 MiB.

Usage:
    python tools/dev/gpu_bundle.py [--out .gpu_bundle] [--python-312 PATH]
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / 'requirements' / 'constraints.txt'
SHARED_WHEELS = REPO.parent / 'shared' / 'wheels'
PLATFORM = ['--only-binary=:all:', '--python-version', '3.12', '--implementation', 'cp',
            '--platform', 'manylinux_2_28_x86_64', '--platform', 'manylinux_2_27_x86_64',
            '--platform', 'manylinux_2_17_x86_64', '--platform', 'manylinux2014_x86_64']
PINNED = ('mmengine', 'mmagic', 'diffusers', 'huggingface-hub', 'transformers', 'tokenizers',
          'lpips', 'setuptools', 'albumentations')
# albumentations: mmagic.datasets.transforms imports it at module level; the rest are its
# and mmengine's needs that the GPU machine lacks (it has numpy, OpenCV, SciPy, PyYAML)
EXTRA = ('addict==2.4.0', 'termcolor==3.3.0', 'yapf==0.43.0', 'platformdirs==4.14.8',
         'resize-right==0.0.2', 'albucore==0.0.24', 'pydantic==2.14.4', 'pydantic-core==2.50.5',
         'annotated-types==0.8.0', 'typing-inspection==0.4.5', 'stringzilla==5.3.2',
         'simsimd==6.5.16')
LIMIT_MIB = 64  # what one device call carries, working tree included
TORCH_ON_DEVICE = '2.11.0'


def pin(name: str) -> str:
    """``name==version`` as requirements/constraints.txt pins it."""
    match = re.search(rf'^{re.escape(name)}==(\S+)$', CONSTRAINTS.read_text(), re.M)
    if not match:
        raise ValueError(f'{CONSTRAINTS}: no pin for {name}')
    return f'{name}=={match.group(1)}'


WHEELS = [pin(n) for n in PINNED] + list(EXTRA)


def distribution(wheel: Path) -> str:
    """A wheel's normalised distribution name."""
    return re.sub(r'[-_.]+', '-', wheel.name.split('-')[0]).lower()


def check_bundle(folder: Path, tree_bytes: int = 0, limit_mib: float = LIMIT_MIB) -> Dict:
    """One version of each distribution among the wheels, and the bundle plus
    ``tree_bytes`` (the working tree) within ``limit_mib``.

    Raises:
        ValueError: a distribution twice, or too large.
    """
    wheels = sorted((folder / 'wheels').glob('*.whl'))
    names: Dict[str, List[str]] = {}
    for wheel in wheels:
        names.setdefault(distribution(wheel), []).append(wheel.name)
    twice = {k: v for k, v in names.items() if len(v) > 1}
    if twice:
        raise ValueError(f'{folder}: more than one version of {twice}')
    size = sum(p.stat().st_size for p in folder.rglob('*') if p.is_file())
    total_mib = (size + tree_bytes) / 2**20
    if total_mib > limit_mib:
        raise ValueError(f'{folder}: {size / 2**20:.1f} MiB + the working tree '
                         f'{tree_bytes / 2**20:.1f} MiB = {total_mib:.1f} MiB, over {limit_mib}')
    return dict(wheels=sorted(names), bundle_mib=round(size / 2**20, 2),
                call_mib=round(total_mib, 2))


def working_tree_bytes() -> int:
    """What a device call sends besides the bundle: tracked and untracked-not-ignored files."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                         cwd=REPO, capture_output=True, check=True).stdout
    paths = [REPO / p.decode() for p in out.split(b'\0') if p]
    return sum(p.lstat().st_size for p in paths if p.exists() or p.is_symlink())


def mmcv_wheel(dest: Path, python312: Optional[str]) -> Path:
    """The cp312 mmcv wheel built against torch 2.11: from ../shared/wheels, else built
    here with tools/dev/build_mmcv.sh in a Python 3.12 venv that has torch 2.11."""
    version = pin('mmcv').split('==')[1]
    cached = sorted(SHARED_WHEELS.glob(f'mmcv-{version}-cp312-cp312-*.whl'))
    if cached:
        return Path(shutil.copy(cached[0], dest))
    if not python312:
        raise RuntimeError(f'no cp312 mmcv wheel in {SHARED_WHEELS}: give --python-312 (a '
                           f'Python 3.12 venv with torch=={TORCH_ON_DEVICE}) to build one here')
    subprocess.run(['bash', str(REPO / 'tools' / 'dev' / 'build_mmcv.sh'), python312, version,
                    str(dest)], check=True)
    built = sorted(dest.glob(f'mmcv-{version}-cp312-*.whl'))
    if not built:
        raise RuntimeError(f'tools/dev/build_mmcv.sh left no cp312 mmcv wheel in {dest}')
    return built[0]


def cifar_sample(dest: Path, num: int = 64) -> Optional[Path]:
    """The first ``num`` lossless CIFAR-10 training images, when ../shared has them."""
    import numpy as np
    source = REPO.parent / 'shared' / 'data' / 'cifar10' / 'cifar10-train.npz'
    if not source.is_file():
        return None
    with np.load(source) as data:
        np.savez_compressed(dest, images=data['images'][:num], labels=data['labels'][:num])
    return dest


# The GPU machine's own versions of what the stack imports (KINDS.md), for device_like_venv
DEVICE_PACKAGES = ('torch==2.11.0', 'torchvision==0.26.0', 'numpy==2.5.2', 'safetensors==0.8.0',
                   'transformers==5.17.0', 'huggingface-hub==1.33.0', 'tokenizers==0.23.2',
                   'pyyaml', 'requests', 'filelock', 'fsspec', 'packaging', 'tqdm', 'regex',
                   'pillow', 'rich', 'matplotlib', 'scipy', 'pandas', 'opencv-python-headless',
                   'typing-extensions', 'psutil', 'click', 'einops', 'imageio', 'tensorboard')


def find_python312() -> str:
    """A CPython 3.12: ``python3.12`` on PATH, else pyenv's."""
    candidates = [shutil.which('python3.12')] + sorted(
        str(p) for p in Path.home().glob('.pyenv/versions/3.12*/bin/python3.12'))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, '-c', 'import sys; print(sys.version_info[:2])'],
                               capture_output=True, text=True)
        if probe.stdout.strip() == '(3, 12)':
            return candidate
    raise FileNotFoundError('no Python 3.12 found (python3.12 on PATH or pyenv 3.12.x)')


def device_like_venv(path: Path) -> Path:
    """A Python 3.12 venv with torch 2.11 and the GPU machine's own package versions
    (:data:`DEVICE_PACKAGES`, and its accelerate 1.15 without dependencies), made once
    at ``path`` (several GB: torch's CUDA build is what PyPI has) and reused: where
    the bundle is tested here. Returns its interpreter."""
    python = path / 'bin' / 'python'
    stamp = path / '.device_like'
    if stamp.is_file():
        return python
    subprocess.run([find_python312(), '-m', 'venv', str(path)], check=True)
    pip = [str(python), '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    subprocess.run(pip + list(DEVICE_PACKAGES), check=True)
    subprocess.run(pip + ['--no-deps', 'accelerate==1.15.0'], check=True)
    stamp.write_text('\n'.join(DEVICE_PACKAGES) + '\n')
    return python


def build(out: Path, python312: Optional[str] = None) -> Dict:
    """Writes the bundle into ``out`` and returns its manifest."""
    shutil.rmtree(out, ignore_errors=True)
    (out / 'wheels').mkdir(parents=True)
    subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', *PLATFORM,
                    '-d', str(out / 'wheels'), *WHEELS], check=True)
    mmcv_wheel(out / 'wheels', python312)
    shutil.copy(REPO / 'tools' / 'dev' / 'gpu_sitecustomize.py', out / 'sitecustomize.py')
    cifar_sample(out / 'cifar10-sample.npz')
    manifest = check_bundle(out, working_tree_bytes())
    (out / 'manifest.json').write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: Optional[List[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=REPO / '.gpu_bundle')
    parser.add_argument('--python-312', help='a Python 3.12 with torch 2.11, to build mmcv '
                        'when ../shared/wheels has no cp312 wheel')
    args = parser.parse_args(argv)
    manifest = build(args.out, args.python_312)
    print(f"[gpu_bundle] {args.out}: {manifest['bundle_mib']} MiB, the call "
          f"{manifest['call_mib']} MiB of {LIMIT_MIB}; wheels: {', '.join(manifest['wheels'])}")
    print('[gpu_bundle] the device call: tools/dev/README.md')
    return manifest


if __name__ == '__main__':
    main(sys.argv[1:])
