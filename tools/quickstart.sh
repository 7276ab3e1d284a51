#!/usr/bin/env bash
# The quick start: sets up the environment, prepares Fashion-MNIST, trains the FD-SmallCNN
# classifier once, then trains the small DCGAN twice at the same time, without and with
# AS-GAN (same seed, one thread each, 3,000 iterations, FD-SmallCNN every 500), and ends with
# one picture of both sample grids and both curves and a two-line summary.
#
#   bash tools/quickstart.sh          # 717 s after set-up, first time, on this project's 2-core
#                                     # machine (AMD EPYC): data and FD classifier 3 min, the two
#                                     # runs 9 min; later runs skip the classifier
#   bash tools/quickstart.sh --fid    # and Inception FID-1k of both last checkpoints
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FID=0
for arg in "$@"; do
  case "$arg" in
    --fid) FID=1 ;;
    *) echo "usage: bash tools/quickstart.sh [--fid]" >&2; exit 2 ;;
  esac
done
BASELINE=configs/asgan/dcgan-small-fd_1xb64-3kiters_fashion-mnist-32x32.py
ASGAN=configs/asgan/asgan-fgsm_dcgan-small-fd_1xb64-3kiters_fashion-mnist-32x32.py
CLASSIFIER=work_dirs/fd_classifier/fashion-mnist-smallcnn.pth

bash tools/setup_env.sh
source "${ASGAN_VENV:-$ROOT/.venv}/bin/activate"
start=$(date +%s)
bash tools/prepare_fashion_mnist.sh test
if [[ ! -f $CLASSIFIER ]]; then
  python tools/train_fd_classifier.py data/fashion-mnist/train \
    --test-data data/fashion-mnist/test --channels 1 --out "$CLASSIFIER"
fi

# Two runs at once, one thread each (1.43x the runs per hour of one two-thread run here).
rm -rf work_dirs/quickstart-baseline work_dirs/quickstart-asgan
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
python tools/train.py "$BASELINE" --work-dir work_dirs/quickstart-baseline \
  > work_dirs/quickstart-baseline.log 2>&1 &
BASE_PID=$!
python tools/train.py "$ASGAN" --work-dir work_dirs/quickstart-asgan \
  2>&1 | tee work_dirs/quickstart-asgan.log | grep --line-buffered -E 'Iter\(train\) \[ *[0-9]*000/|FD-SmallCNN/fd' || true
wait "$BASE_PID" || { echo "the baseline run failed: work_dirs/quickstart-baseline.log" >&2; exit 1; }
grep -q 'Logs and checkpoints saved' work_dirs/quickstart-asgan.log \
  || { echo "the AS-GAN run failed: work_dirs/quickstart-asgan.log" >&2; exit 1; }

if [[ $FID == 1 ]]; then
  for run in baseline asgan; do
    CONFIG=$BASELINE; [[ $run == asgan ]] && CONFIG=$ASGAN
    python tools/test.py "$CONFIG" "work_dirs/quickstart-$run/iter_3000.pth" \
      --work-dir "work_dirs/quickstart-$run/test" --out "work_dirs/quickstart-$run/fid.json" &
  done
  wait
  echo "Inception FID-1k: baseline $(cat work_dirs/quickstart-baseline/fid.json), AS-GAN $(cat work_dirs/quickstart-asgan/fid.json)"
fi
python tools/analysis/compare_runs.py work_dirs/quickstart-baseline work_dirs/quickstart-asgan \
  --labels baseline AS-GAN --metric FD-SmallCNN/fd --out work_dirs/quickstart.png
echo "quick start: $(( $(date +%s) - start )) s after set-up"
