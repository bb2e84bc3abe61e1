#!/usr/bin/env bash
# On the GPU machine, in the repository copy: runs the packaged cuda-probe (tools/gpu/package.sh)
# with the CUDA libraries of the machine's CUDA install and of its PyTorch's pip packages in
# reach, and prints what it found and the self-test's result.
set -uo pipefail
cd "$(dirname "$0")/../.."
SITE=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
CUDA_DIRS=""
for d in /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13.0/targets/x86_64-linux/lib "$SITE"/nvidia/cu13/lib "$SITE"/nvidia/*/lib; do
  [ -d "$d" ] && CUDA_DIRS="$CUDA_DIRS:$d"
done
export REELFLOW_CUDA_PATH="${CUDA_DIRS#:}"
echo "== $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
export REELFLOW_CACHE_DIR="$(mktemp -d)"
.gpu/cuda-probe --self-test      # compiles with NVRTC
.gpu/cuda-probe --self-test      # the same kernel from the kernel cache
echo "cuda-probe exit: $?"
