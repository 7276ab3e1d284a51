#!/usr/bin/env bash
# Fashion-MNIST as class folders under data/fashion-mnist/{train,test}: from Debian's
# dataset-fashion-mnist package (offline) when it can be installed, else torchvision
# downloads it. Run inside the project's environment; a no-op when already prepared.
set -euo pipefail
if [[ ! -d /usr/share/datasets/fashion-mnist ]] && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; } \
    || echo "[data] dataset-fashion-mnist not installable here; torchvision will download it"
fi
python tools/prepare_data.py fashion-mnist
for split in "$@"; do python tools/prepare_data.py fashion-mnist --split "$split"; done
