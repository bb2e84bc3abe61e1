#!/usr/bin/env bash
# Runs safetensors-bench twice: with OPENBLAS_CORETYPE=Haswell (as this environment exports)
# and with it unset. Generated files go to /tmp/reelflow-bench (reused between runs).
# Usage: tools/bench/safetensors-bench.sh [extra safetensors-bench options]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product safetensors-bench
BIN=.build/release/safetensors-bench
ARGS=(--dir /tmp/reelflow-bench --python "${PYTHON:-/work/venv/bin/python}" --torch-script tools/bench/torch_lora_bench.py "$@")
OPENBLAS_CORETYPE=Haswell "$BIN" "${ARGS[@]}"
env -u OPENBLAS_CORETYPE "$BIN" "${ARGS[@]}"
