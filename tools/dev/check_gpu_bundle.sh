#!/usr/bin/env bash
# Checks, here and without torch, that the bundle of tools/dev/gpu_bundle.sh holds what the
# GPU machine needs, for CPython 3.12: a throw-away Python 3.12 venv gets stand-ins for
# the device's own packages (its known versions: numpy 2.5.2, safetensors 0.8.0, and the
# transformers 5.17 / huggingface-hub 1.33 / tokenizers 0.23 that the bundle must
# shadow, and accelerate 1.15 that it keeps), then the bundle is assembled from its parts
# and installed as on
# the device (pip --no-index --no-deps --target), and:
#   * every carried distribution's requirements (Python 3.12, Linux, no extras) are met
#     by the bundle, by a stand-in, or by a package the device has (KINDS.md list);
#   * the pure-Python part of the stack imports from the target folder, ahead of the
#     stand-ins (transformers' own version check included), numpy.bool8 is aliased,
#     pkg_resources is there and every config of the study parses (mmagic:: bases).
# torch, mmcv and mmagic's models need the device (tools/dev/gpu_study.sh install checks them).
#
# Usage: bash tools/dev/check_gpu_bundle.sh     (after bash tools/dev/gpu_bundle.sh)
#   CHECK_PYTHON  a CPython 3.12 (default: python3.12, else pyenv's 3.12.x)
#   CHECK_DIR     the scratch folder, kept (its venv is reused by the next check); default
#                 a new folder under /tmp, removed at the end unless KEEP=1
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY312="${CHECK_PYTHON:-}"
if [[ -z "$PY312" ]]; then
  for candidate in python3.12 /root/.pyenv/versions/3.12.*/bin/python3.12; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      PY312="$candidate"; break
    fi
  done
fi
[[ -n "$PY312" ]] || { echo "[check] no Python 3.12 found (set CHECK_PYTHON)" >&2; exit 1; }
WORK="${CHECK_DIR:-$(mktemp -d /tmp/check_gpu_bundle.XXXXXX)}"
[[ "${KEEP:-0}" == 1 || -n "${CHECK_DIR:-}" ]] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"

# The device's packages of known version (KINDS.md), and others it has, as stand-ins.
DEVICE_KNOWN=(numpy==2.5.2 safetensors==0.8.0 transformers==5.17.0 huggingface-hub==1.33.0
              tokenizers==0.23.2)
DEVICE_OTHERS=(pyyaml requests filelock fsspec packaging tqdm regex pillow rich matplotlib
               scipy pandas opencv-python-headless typing-extensions psutil click einops
               imageio tensorboard)

echo "[check] $("$PY312" --version) venv in $WORK/venv with the device's stand-ins"
[[ -x "$WORK/venv/bin/python" ]] || "$PY312" -m venv "$WORK/venv"
rm -rf "$WORK/bundle" "$WORK/site" "$WORK"/mmcv-*   # a reused CHECK_DIR starts clean
VPY="$WORK/venv/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check "${DEVICE_KNOWN[@]}" "${DEVICE_OTHERS[@]}"
"$VPY" -m pip install -q --disable-pip-version-check --no-deps accelerate==1.15.0

echo "[check] assembling the bundle's parts and installing them as on the device"
python3 tools/dev/gpu_bundle_parts.py assemble --bundle .gpu_bundle --out "$WORK/bundle"
for category in wheel build sdist data weights; do
  [[ -f "$WORK/bundle/$category/.complete" ]] || { echo "[check] $category incomplete" >&2; exit 1; }
done
"$VPY" -m pip install -q --disable-pip-version-check --no-index --no-deps --target "$WORK/site" \
  "$WORK"/bundle/wheel/*.whl
cp tools/dev/gpu_sitecustomize.py "$WORK/site/sitecustomize.py"

echo "[check] requirements of every carried distribution"
"$VPY" - "$WORK/site" <<'EOF'
import importlib.metadata as md
import sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# KINDS.md, "Python packages already there" (versions known for some), and torch's own.
DEVICE = {canonicalize_name(n): v for n, v in {
    'torch': '2.11.0', 'torchvision': '0.26.0', 'numpy': '2.5.2', 'safetensors': '0.8.0',
    'psutil': None, 'pyyaml': None, 'requests': None, 'filelock': None, 'fsspec': None,
    'packaging': None, 'tqdm': None, 'regex': None, 'pillow': None, 'rich': None,
    'matplotlib': None, 'scipy': None, 'pandas': None, 'opencv-python-headless': None,
    'typing-extensions': None, 'click': None, 'einops': None, 'imageio': None,
    'tensorboard': None, 'zipp': None, 'jinja2': None, 'networkx': None, 'sympy': None,
    'accelerate': '1.15.0',
}.items()}
IGNORED = {  # declared but not imported on the GAN path (see tools/dev/gpu_bundle.sh)
    'av', 'controlnet-aux', 'face-alignment', 'facexlib', 'lmdb', 'mediapipe',
    'importlib-metadata', 'opencv-python'}
site = sys.argv[1]
carried = {canonicalize_name(d.metadata['Name']): d for d in md.distributions(path=[site])}
env = {'python_version': '3.12', 'python_full_version': '3.12.3', 'sys_platform': 'linux',
       'platform_system': 'Linux', 'platform_machine': 'x86_64', 'os_name': 'posix',
       'implementation_name': 'cpython', 'platform_python_implementation': 'CPython',
       'extra': ''}
problems = []
for name, dist in sorted(carried.items()):
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        dep = canonicalize_name(req.name)
        if dep in carried:
            version = carried[dep].version
            where = 'bundle'
        elif dep in DEVICE:
            version = DEVICE[dep]
            where = 'device'
        elif dep in IGNORED:
            continue
        else:
            problems.append(f'{name}: needs {text}, which neither the bundle nor the device has')
            continue
        if version is not None and not req.specifier.contains(version, prereleases=True):
            problems.append(f'{name}: needs {text}, {where} has {version}')
print(f'[check] {len(carried)} carried distributions: ' + ', '.join(
    f'{n} {d.version}' for n, d in sorted(carried.items())))
if problems:
    sys.exit('[check] unmet:\n  ' + '\n  '.join(problems))
print('[check] every requirement is met by the bundle or the device')
EOF

echo "[check] imports from the target folder, ahead of the stand-ins"
STUDY_CONFIGS=()
while IFS='|' read -r _ _ config; do [[ -f "$config" ]] && STUDY_CONFIGS+=("$config"); done \
  < <(bash tools/dev/gpu_study.sh list)
PYTHONPATH="$WORK/site:$ROOT" NO_ALBUMENTATIONS_UPDATE=1 HF_HUB_OFFLINE=1 "$VPY" - "$WORK/site" \
  "${STUDY_CONFIGS[@]}" <<'EOF'
import importlib.metadata as md
import os
import sys
site = os.path.realpath(sys.argv[1])
import numpy
assert numpy.__version__ == '2.5.2', numpy.__version__
assert numpy.bool8 is numpy.bool_, 'sitecustomize did not alias numpy.bool8'
import addict, pkg_resources, resize_right, termcolor, yapf  # noqa: E401,F401
import huggingface_hub, tokenizers, transformers  # transformers checks its dependencies
import diffusers
from diffusers.utils import is_accelerate_available
import mmengine
from mmengine.config import Config
expected = {'transformers': (transformers, '4.45.2'), 'huggingface_hub': (huggingface_hub, '0.25.2'),
            'tokenizers': (tokenizers, '0.20.3'), 'diffusers': (diffusers, '0.24.0'),
            'mmengine': (mmengine, '0.10.7')}
for name, (module, version) in expected.items():
    assert module.__version__ == version, f'{name} {module.__version__}'
    assert os.path.realpath(module.__file__).startswith(site), f'{name} from {module.__file__}'
assert md.version('accelerate') == '1.15.0', md.version('accelerate')  # the device's own
assert is_accelerate_available()
assert os.path.realpath(pkg_resources.__file__).startswith(site)
for config in sys.argv[2:]:
    cfg = Config.fromfile(config, import_custom_modules=False)
    assert cfg.model.type in ('DCGAN', 'GGAN') or cfg.model, config
print(f'[check] imports ok: numpy {numpy.__version__} (bool8 aliased), transformers '
      f'{transformers.__version__}, hub {huggingface_hub.__version__}, tokenizers '
      f'{tokenizers.__version__}, diffusers {diffusers.__version__}, accelerate '
      f'{md.version("accelerate")}, mmengine {mmengine.__version__}, pkg_resources from the '
      f'bundle; {len(sys.argv) - 2} study configs parse')
EOF

echo "[check] the mmcv source release takes the C++ standard fix of tools/dev/build_mmcv.sh"
tar -xzf "$WORK"/bundle/sdist/mmcv-*.tar.gz -C "$WORK" --wildcards '*/setup.py'
SETUP="$(ls "$WORK"/mmcv-*/setup.py)"
sed -i -E 's/std([=:])c\+\+1[47]/std\1c++20/g' "$SETUP"
if grep -qE 'std[=:]c\+\+1[47]' "$SETUP" || ! grep -q 'c++20' "$SETUP"; then
  echo "[check] the C++ standard fix does not apply to $SETUP" >&2; exit 1
fi
echo "[check] all checks passed"
