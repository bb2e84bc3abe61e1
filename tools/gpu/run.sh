#!/usr/bin/env bash
# On the GPU machine, in the repository copy: unpacks the tools that tools/gpu/package.sh
# built, puts the CUDA libraries of the machine's CUDA install and of its PyTorch's pip
# packages in reach, and runs what is asked:
#   tools/gpu/run.sh probe    cuda-probe --self-test twice (compiled, then from the kernel cache)
#   tools/gpu/run.sh suite    the shared op suite on the GPU against the CPU backend, and the
#                             tiny-model parity checks (transformer, VAE, upsampler) and torch's
#                             CUDA randn (bit for bit) on the GPU
#   tools/gpu/run.sh bench    the op benchmarks beside PyTorch's (tools/gpu/op_bench.py)
#   tools/gpu/run.sh transformer  one step of the full-size LTX-2.3 transformer beside ltx-core
#                             (tools/gpu/transformer_bench.py; carry .whl with ltx-core's wheel)
#   tools/gpu/run.sh vae      VAE decode of 81x1024x1024 (LTX-2.3-shaped decoder, random bf16
#                             weights), untiled and tiled, beside ltx-core (tools/gpu/vae_bench.py)
#   tools/gpu/run.sh convsearch  the untiled VAE decode under each cuDNN layout (NCDHW, NDHWC)
#                             and algorithm search (heuristic, measured), with cuDNN's rankings
#   tools/gpu/run.sh profile  one full-size forward of each stage timed op by op, with the op
#                             where GPU memory peaks (CUDABackend.profile)
#   tools/gpu/run.sh graph    the whole Sync-LoRA graph at 1024x1024x81 on full-size random
#                             weights (`reelflow demo --full-size --device cuda`): cold, rerun
#                             (every node cached), and rerun with stage 2's seed changed
#                             (needs `tools/gpu/package.sh reelflow`)
# (several at once: tools/gpu/run.sh probe suite bench).
set -uo pipefail
cd "$(dirname "$0")/../.."
# Unpack the xz files (python's lzma where the machine has no xz).
for f in .gpu/*.xz .gpu/lib/*.xz; do
  [ -e "$f" ] || continue
  if command -v xz >/dev/null; then xz -dkf "$f"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$f"; fi
  chmod +x "${f%.xz}"
done
SITE=$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || true)
CUDA_DIRS=""
for d in /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13.0/targets/x86_64-linux/lib "$SITE"/nvidia/cu13/lib "$SITE"/nvidia/*/lib; do
  [ -d "$d" ] && CUDA_DIRS="$CUDA_DIRS:$d"
done
export REELFLOW_CUDA_PATH="${CUDA_DIRS#:}"
# cuDNN's front library loads its engine libraries by name from the loader's path.
export LD_LIBRARY_PATH="$PWD/.gpu/lib${REELFLOW_CUDA_PATH:+:$REELFLOW_CUDA_PATH}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# ltx-core travels as a wheel (.whl, carried; its other needs are on the machine).
ltx_core() {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site || { echo "no ltx-core wheel in .whl"; return 1; }
}
export REELFLOW_CACHE_DIR="${REELFLOW_CACHE_DIR:-$(mktemp -d)}"
echo "== $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null)"
status=0
for what in "${@:-probe}"; do
  case "$what" in
    probe)
      .gpu/cuda-probe --self-test || status=1
      .gpu/cuda-probe --self-test || status=1 ;;
    suite)
      .gpu/cuda-op-suite --noise Tests/TensorsTests/Fixtures/noise_cuda.safetensors --models Tests/LTXTests/Fixtures || status=1 ;;
    bench)
      .gpu/cuda-op-suite --bench | tee /tmp/reelflow-op-bench.jsonl || status=1
      python3 tools/gpu/op_bench.py /tmp/reelflow-op-bench.jsonl || status=1 ;;
    transformer)
      ltx_core || { status=1; continue; }
      .gpu/cuda-op-suite --transformer-bench /tmp/reelflow-gpu-bench | tee /tmp/reelflow-transformer.jsonl || status=1
      python3 tools/gpu/transformer_bench.py /tmp/reelflow-gpu-bench /tmp/reelflow-transformer.jsonl || status=1 ;;
    vae)
      ltx_core || { status=1; continue; }
      .gpu/cuda-op-suite --vae-bench /tmp/reelflow-vae-bench | tee /tmp/reelflow-vae.jsonl || status=1
      python3 tools/gpu/vae_bench.py /tmp/reelflow-vae-bench/vae_full.safetensors /tmp/reelflow-vae.jsonl || status=1 ;;
    convsearch)
      # The untiled decode under each cuDNN layout and algorithm search, with cuDNN's rankings.
      for layout in ncdhw ndhwc; do
        for search in heuristic measured; do
          echo "== cuDNN layout $layout, search $search"
          REELFLOW_CUDNN_LAYOUT=$layout REELFLOW_CUDNN_SEARCH=$search REELFLOW_CUDNN_REPORT=1 REELFLOW_VAE_QUICK=1 \
            .gpu/cuda-op-suite --vae-bench /tmp/reelflow-vae-bench || status=1
        done
      done ;;
    profile)
      .gpu/cuda-op-suite --transformer-profile /tmp/reelflow-gpu-bench || status=1 ;;
    graph)
      rm -rf /tmp/reelflow-gpu-bench  # the transformer benchmark's 26 GB file: the disk holds 64 GB
      D=/tmp/reelflow-demo
      for pass in "cold" "rerun" "rerun, stage2_seed=44"; do
        echo "== graph: $pass"
        extra=(); [ "$pass" = "rerun, stage2_seed=44" ] && extra=(--set stage2_seed=44)
        time .gpu/reelflow demo --full-size --device cuda --dir "$D" "${extra[@]}" || status=1
      done ;;
    *) echo "unknown: $what"; status=2 ;;
  esac
done
echo "run.sh exit: $status"
exit $status
