#!/usr/bin/env bash
# Maintainers: the CPU studies of docs/studies/ (Fashion-MNIST), one command each, on the small
# Fashion-MNIST DCGAN (configs/asgan/*dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py):
#
#   bash tools/dev/cpu_study.sh study     # 5 variants x 3 seeds, FD-SmallCNN over training and
#                                     # Inception FID-2k of each last checkpoint -> results/fmnist_cpu
#   bash tools/dev/cpu_study.sh eps       # FGSM epsilon sweep, seed 0, FD-SmallCNN -> results/fmnist_cpu_eps
#   bash tools/dev/cpu_study.sh overhead  # s/iter: baseline, plug-in disabled, free; 3 repeats
#                                     # -> results/fmnist_cpu_overhead
#   bash tools/dev/cpu_study.sh stress [PHASE...]  # the stress study (configs/asgan/studies/
#                                     # stress_fmnist.py): its phases (default: all the spec
#                                     # defines, in order), resumable, then its report and the
#                                     # cost instrument -> results/stress_fmnist
#
# Sets up the environment, prepares the data and trains the FD-SmallCNN classifier when missing.
# Runs one training at a time (all cores), seed-major, so variants interleave in time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
source "${ASGAN_VENV:-$ROOT/.venv}/bin/activate"
bash tools/prepare_fashion_mnist.sh test
python tools/prepare_data.py subset data/fashion-mnist/train --num 1000 --seed 0 \
  --out data/fashion-mnist/train-1k
python tools/prepare_data.py subset data/fashion-mnist/train --num 250 --seed 0 \
  --out data/fashion-mnist/train-250
CLASSIFIER=work_dirs/fd_classifier/fashion-mnist-smallcnn.pth
if [[ ! -f $CLASSIFIER ]]; then
  python tools/train_fd_classifier.py data/fashion-mnist/train --test-data data/fashion-mnist/test \
    --channels 1 --out "$CLASSIFIER"
fi

C=configs/asgan
S=1xb64-1500iters_fashion-mnist-32x32
BASELINE=$C/dcgan-small-study_$S.py
FGSM=$C/asgan-fgsm_dcgan-small-study_$S.py
FREE=$C/asgan-free_dcgan-small-study_$S.py
# custom_hooks.2 is the RealSampleAttackHook of these configs (after RandomStateHook and
# VisualizationHook; tests/test_cpu_study.py checks it)
case "${1:-}" in
  study)
    python tools/dev/benchmark.py --configs "$BASELINE" "$FGSM" $C/asgan-fgsm-replace_dcgan-small-study_$S.py \
      $C/asgan-pgd3_dcgan-small-study_$S.py "$FREE" \
      --labels baseline AS-FGSM-mix AS-FGSM-replace AS-PGD3-mix AS-free-replace \
      --seeds 0 1 2 --metric FD-SmallCNN/fd --test-metric FID-2k/fid --out results/fmnist_cpu ;;
  eps)
    python tools/dev/benchmark.py --configs "$FGSM" --labels AS-FGSM-mix \
      --sweep custom_hooks.2.epsilon 0.00392 0.01569 0.03137 0.06275 \
      --seeds 0 --metric FD-SmallCNN/fd --out results/fmnist_cpu_eps ;;
  overhead)
    python tools/dev/benchmark.py --configs "$BASELINE" "$FGSM" "$FREE" \
      --labels baseline AS-disabled AS-free-replace --config-options '' 'custom_hooks.2.epsilon=0' '' \
      --seeds 0 1 2 --metric FD-SmallCNN/fd \
      --cfg-options train_cfg.max_iters=300 train_cfg.val_interval=300 default_hooks.logger.interval=20 \
      --out results/fmnist_cpu_overhead ;;
  stress)
    SPEC=configs/asgan/studies/stress_fmnist.py
    shift
    PHASES=("$@")
    [[ ${#PHASES[@]} -gt 0 ]] || mapfile -t PHASES < <(python -c \
      "from mmengine.config import Config; print(*Config.fromfile('$SPEC').phases, sep='\n')")
    python tools/dev/study.py "$SPEC" --phase "${PHASES[@]}"
    OMP_NUM_THREADS=1 python tools/analysis/step_cost.py "$SPEC" --regime unstressed \
      --variants AS-FGSM-mix-score AS-FGSM-mix-loss AS-FGSM-replace-score AS-PGD3-mix-score \
      AS-free-replace R1-g1 --repeats 200 --out results/stress_fmnist/cost.json ;;
  *) echo "usage: bash tools/dev/cpu_study.sh study|eps|overhead|stress" >&2; exit 2 ;;
esac
