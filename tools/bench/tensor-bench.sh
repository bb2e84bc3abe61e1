#!/usr/bin/env bash
# Runs tensor-bench (Swift, OpenBLAS) and tools/bench/torch_ops_bench.py (PyTorch) in the
# same invocation and prints every Swift figure beside its peer with the ratio.
#
#   tools/bench/tensor-bench.sh [runs] [rounds]   (defaults 3 and 3)
#
# Each round runs the Swift side twice, with OPENBLAS_CORETYPE=Haswell (what this project's
# environment exports; the value from the environment wins if set) and with it unset
# (env -u OPENBLAS_CORETYPE), then the PyTorch side. Rounds alternate so load from other
# processes on a shared machine hits both sides alike; a figure is the median over all runs
# of all rounds (each process reports the median of its runs; the script takes the median
# of those).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-3}"
ROUNDS="${2:-3}"
CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
THREADS="${TENSOR_THREADS:-2}"
PY=/work/venv/bin/python
[ -x "$PY" ] || PY=python3

swift build -c release --product tensor-bench >/dev/null
BIN=.build/release/tensor-bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== tensor-bench, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    OPENBLAS_CORETYPE="$CORETYPE" "$BIN" all "$RUNS" >>"$OUT/swift-env.tsv"
    env -u OPENBLAS_CORETYPE "$BIN" all "$RUNS" >>"$OUT/swift-unset.tsv"
    "$PY" tools/bench/torch_ops_bench.py all "$RUNS" "$THREADS" >>"$OUT/torch.tsv"
done
echo "== done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds x $RUNS runs"

"$PY" - "$OUT" <<'PYEOF'
import sys, os
out = sys.argv[1]
import statistics
def load(name):
    samples, notes = {}, []
    for line in open(os.path.join(out, name)):
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "#":
            if parts[1] not in notes:
                notes.append(parts[1])
        else:
            samples.setdefault(parts[0], []).append((float(parts[1]), parts[2] if len(parts) > 2 else ""))
    rows = {}
    for key, values in samples.items():
        ms = statistics.median(v[0] for v in values)
        note = min(values, key=lambda v: abs(v[0] - ms))[1]
        rows[key] = (ms, note)
    return rows, notes
torch_rows, torch_notes = load("torch.tsv")
print("peer: " + "; ".join(torch_notes))
for label, name in (("OPENBLAS_CORETYPE as set", "swift-env.tsv"), ("OPENBLAS_CORETYPE unset", "swift-unset.tsv")):
    rows, notes = load(name)
    print(f"\n-- Swift with {label}: " + "; ".join(notes))
    print(f"{'figure':34} {'Swift ms':>10} {'peer':30} {'peer ms':>10} {'peer/Swift':>10}  note")
    for shape in ("1408x4096x4096", "1408x4096x16384"):
        m, k, n = (int(v) for v in shape.split("x"))
        gflop = 2 * m * k * n / 1e9
        base = rows[f"sgemm_{shape}"][0]
        for fig in ("linear", "linear_bias"):
            ms = rows[f"{fig}_{shape}"][0]
            note = f"Swift {gflop / ms * 1e3:.0f} GFLOP/s, sgemm {gflop / base * 1e3:.0f} GFLOP/s"
            print(f"{fig + '_' + shape:34} {ms:10.2f} {'bare cblas_sgemm':30} {base:10.2f} {base / ms:10.3f}  {note}")
        for peer in ("fp32", "bf16"):
            pms = torch_rows[f"torch_{peer}_{shape}"][0]
            ms = rows[f"linear_{shape}"][0]
            note = f"torch {gflop / pms * 1e3:.0f} GFLOP/s"
            print(f"{'linear_' + shape:34} {ms:10.2f} {'torch ' + peer:30} {pms:10.2f} {pms / ms:10.3f}  {note}")
    ms, note = rows["attention_32x128x1408"]
    pms, pnote = torch_rows["torch_attention_32x128x1408"]
    print(f"{'attention_32x128x1408':34} {ms:10.2f} {'torch SDPA fp32':30} {pms:10.2f} {pms / ms:10.3f}  {note}; torch: {pnote}")
PYEOF
