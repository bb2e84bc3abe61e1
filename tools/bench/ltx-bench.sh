#!/usr/bin/env bash
# The LTX transformer beside ltx-core 1.0.0 on the CPU, same config, weights and input shapes,
# in one invocation: prints each figure with ltx-core's and the ratio (Reelflow / ltx-core,
# below 1 is faster), under OPENBLAS_CORETYPE as set (Haswell if unset) and unset.
#
#   tools/bench/ltx-bench.sh [runs] [rounds] [shapes]   (defaults 3, 2, "tiny small")
#
# Rounds alternate the two sides; a figure is the median over rounds of each process's median.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-3}"
ROUNDS="${2:-2}"
SHAPES="${3:-tiny small}"
DIR=/tmp/reelflow-ltx-bench
PY=/work/venv/bin/python
THREADS="${TENSOR_THREADS:-2}"
CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
"$PY" tools/bench/ltx_transformer_bench.py make "$DIR" >&2
swift build -c release --product ltx-bench >/dev/null
BIN=.build/release/ltx-bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== ltx-bench $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $THREADS threads"
for round in $(seq "$ROUNDS"); do
  for shape in $SHAPES; do
    for dtype in f32 bf16; do
      for masked in 0 1; do
        OPENBLAS_CORETYPE="$CORETYPE" "$BIN" "$DIR" "$shape" "$dtype" "$RUNS" "$masked" >>"$OUT/swift-set.tsv"
        env -u OPENBLAS_CORETYPE "$BIN" "$DIR" "$shape" "$dtype" "$RUNS" "$masked" >>"$OUT/swift-unset.tsv"
        "$PY" tools/bench/ltx_transformer_bench.py time "$DIR" "$shape" "$dtype" "$RUNS" "$THREADS" "$masked" >>"$OUT/torch.tsv"
      done
    done
  done
done
echo "== done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
# The floor: each shape's forward FLOPs (products and attention; tools/bench/
# ltx_transformer_bench.py flops) at this machine's float32 FMA rate, measured now on the same
# threads (tools/bench/fma_peak.c), beside the rate each side's float32 median reached.
PEAK=0
if command -v cc >/dev/null && cc -O3 -march=native tools/bench/fma_peak.c -o "$OUT/fma_peak" -lpthread 2>/dev/null; then
  PEAK=$("$OUT/fma_peak" "$THREADS" | sed -E 's/.*: ([0-9.]+) GFLOP.*/\1/')
fi
for shape in $SHAPES; do echo "$shape $("$PY" tools/bench/ltx_transformer_bench.py flops "$shape")"; done >"$OUT/flops.txt"
"$PY" - "$OUT" "$CORETYPE" "$PEAK" <<'PYEOF'
import os, statistics, sys
out, coretype, peak = sys.argv[1], sys.argv[2], float(sys.argv[3])
def load(name):
    rows = {}
    for line in open(os.path.join(out, name)):
        k, ms, mem = line.split("\t")
        rows.setdefault(k, []).append((float(ms), float(mem)))
    return {k: (statistics.median(v[0] for v in vs), max(v[1] for v in vs)) for k, vs in rows.items()}
torch_rows = load("torch.tsv")
for label, name in ((f"OPENBLAS_CORETYPE={coretype}", "swift-set.tsv"), ("OPENBLAS_CORETYPE unset", "swift-unset.tsv")):
    rows = load(name)
    print(f"\n-- Reelflow with {label}")
    print(f"{'figure':22} {'Reelflow ms':>12} {'ltx-core ms':>12} {'time ratio':>10} {'RSS+ MiB':>9} {'ltx RSS+':>9} {'mem ratio':>9}")
    for key, (ms, mem) in rows.items():
        pms, pmem = torch_rows[key]
        print(f"{key:22} {ms:12.2f} {pms:12.2f} {ms / pms:10.3f} {mem:9.1f} {pmem:9.1f} {mem / max(pmem, 0.1):9.3f}")
if peak > 0:
    print(f"\n-- The floor at this machine's float32 FMA rate, {peak:.0f} GFLOP/s on these threads (fma_peak, this run)")
    print(f"{'shape':8} {'ltx GFLOP':>10} {'ours GFLOP':>10} {'floor ms':>9} {'ltx ms':>8} {'0.5x ms':>8} {'rate for 0.5x':>14} {'ours ms':>8} {'ours rate':>10} {'ltx rate':>9}")
    swift = load("swift-unset.tsv")
    for line in open(os.path.join(out, "flops.txt")):
        shape, theirs, ours = line.split()
        theirs, ours = float(theirs), float(ours)
        key = f"{shape}_f32"
        if key not in torch_rows or key not in swift:
            continue
        pms, ms = torch_rows[key][0], swift[key][0]
        need = ours / (pms / 2) * 1e3
        print(f"{shape:8} {theirs:10.3f} {ours:10.3f} {ours / peak * 1e3:9.2f} {pms:8.2f} {pms / 2:8.2f} "
              f"{need:8.0f} ({100 * need / peak:3.0f}%) {ms:8.2f} {100 * ours / ms * 1e3 / peak:9.0f}% {100 * theirs / pms * 1e3 / peak:8.0f}%")
PYEOF
