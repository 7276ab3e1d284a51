#!/usr/bin/env bash
# The quick start: sets up the environment, prepares Fashion-MNIST and trains a
# small AS-DCGAN on the CPU (about 5 minutes of training plus 3 of FID on 2 cores),
# then prints where the checkpoint, samples, FID, telemetry and curves are.
#
#   bash tools/quickstart.sh            # AS-DCGAN (FGSM, epsilon 2/255)
#   bash tools/quickstart.sh baseline   # the same DCGAN without AS-GAN, to compare
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VARIANT="${1:-asgan}"
case "$VARIANT" in
  asgan) CONFIG=configs/asgan/asgan-fgsm_dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py ;;
  baseline) CONFIG=configs/asgan/dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py ;;
  *) echo "usage: bash tools/quickstart.sh [asgan|baseline]" >&2; exit 2 ;;
esac
WORK_DIR="work_dirs/quickstart-$VARIANT"

bash tools/setup_env.sh
source "${ASGAN_VENV:-$ROOT/.venv}/bin/activate"

bash tools/prepare_fashion_mnist.sh

# A fresh run each time (the FID reference statistics stay cached in work_dirs/inception_pkl).
rm -rf "$WORK_DIR"
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
python tools/analysis/plot_curves.py "$WORK_DIR" --labels "$VARIANT" --out "$WORK_DIR/curves.png"
python tools/analysis/summarize_run.py "$WORK_DIR" --plot "$WORK_DIR/curves.png"
