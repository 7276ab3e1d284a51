#!/usr/bin/env bash
# Sets up the environment (tools/setup_env.sh) and runs the test suite.
# Extra arguments go to pytest, e.g.: bash tools/run_tests.sh tests/test_losses.py -x
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
# The suite runs on the CPU on any machine: its bitwise checks (exact resume, epsilon 0
# equal to stock) assume deterministic kernels, which a GPU does not give.
CUDA_VISIBLE_DEVICES= "${ASGAN_VENV:-$ROOT/.venv}/bin/python" -m pytest "$@"
