#!/usr/bin/env bash
# Maintainers (and tools/setup_env.sh): builds an mmcv wheel with compiled ops from the PyPI
# source release, against the torch installed in the given interpreter, into a wheel folder.
#
# Usage: tools/dev/build_mmcv.sh PYTHON VERSION WHEEL_DIR
#
# Why a script: PyPI has no mmcv 2.1.0 wheel for torch 2.14 / Python 3.11, and the
# source release cannot be built as is:
#   * torch 2.14's C++ headers need C++20, while mmcv's setup.py passes -std=c++14
#     (and -std=c++17 for some flags); the later flag wins, so the build fails inside
#     torch's headers. We raise every -std=c++1x in setup.py to c++20.
#   * setup.py needs setuptools<70, while torch 2.14 needs setuptools>=77 at run
#     time; and setup.py imports torch, so it must build without isolation in the
#     environment that has torch. We put setuptools<70 first on PYTHONPATH for the
#     build only, leaving the environment's own setuptools alone.
# Only the CPU ops are built, also on a CUDA machine: the GANs here need no CUDA op, and
# mmcv's setup.py builds CUDA ops whenever torch sees a GPU (so CUDA is hidden from it).
# ASGAN_MMCV_CUDA=1 builds the CUDA ops too. 7 to 18 minutes on 2 cores for the CPU ops
# (443 s measured here).
set -euo pipefail
PY="$1"; VERSION="$2"; WHEEL_DIR="$3"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "[build_mmcv] setuptools<70 (and a wheel with bdist_wheel) for the build only"
"$PY" -m pip install --disable-pip-version-check -q --no-deps --target "$WORK/build_setuptools" "setuptools<70" "wheel<0.46"
export PYTHONPATH="$WORK/build_setuptools${PYTHONPATH:+:$PYTHONPATH}"

echo "[build_mmcv] fetching the mmcv $VERSION source release"
"$PY" -m pip download --disable-pip-version-check -q --no-deps --no-binary :all: \
  --no-build-isolation "mmcv==$VERSION" -d "$WORK"
tar -xzf "$WORK/mmcv-$VERSION.tar.gz" -C "$WORK"
SRC="$WORK/mmcv-$VERSION"

echo "[build_mmcv] raising the C++ standard to C++20 for torch's headers"
sed -i -E 's/std([=:])c\+\+1[47]/std\1c++20/g' "$SRC/setup.py"
if grep -qE 'std[=:]c\+\+1[47]' "$SRC/setup.py"; then
  echo "[build_mmcv] could not patch the C++ standard in $SRC/setup.py" >&2
  exit 1
fi

echo "[build_mmcv] compiling (MAX_JOBS=${MAX_JOBS:-$(nproc)}); this takes 7 to 18 minutes on 2 cores"
start=$(date +%s)
if [[ "${ASGAN_MMCV_CUDA:-0}" == 1 ]]; then
  CUDA_ENV=(FORCE_CUDA=1)
else
  CUDA_ENV=(CUDA_VISIBLE_DEVICES= FORCE_CUDA=0)
fi
env "${CUDA_ENV[@]}" MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "$PY" -m pip wheel --disable-pip-version-check -q \
  --no-deps --no-build-isolation -w "$WORK/dist" "$SRC"
mkdir -p "$WHEEL_DIR"
cp "$WORK"/dist/mmcv-*.whl "$WHEEL_DIR/"
echo "[build_mmcv] built $(ls "$WORK"/dist) in $(( $(date +%s) - start )) s, cached in $WHEEL_DIR"
