#!/usr/bin/env bash
# Runs tensor-bench (Swift, OpenBLAS) and tools/bench/torch_ops_bench.py (PyTorch) in the
# same invocation and prints every Swift figure beside its peer with the ratio.
#
#   tools/bench/tensor-bench.sh [runs]          (default 5 runs per figure, medians)
#
# The Swift side runs twice: with OPENBLAS_CORETYPE as the environment sets it and with it
# unset (env -u OPENBLAS_CORETYPE), so both kernel choices are on record.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-5}"
THREADS="${TENSOR_THREADS:-2}"
PY=/work/venv/bin/python
[ -x "$PY" ] || PY=python3

swift build -c release --product tensor-bench >/dev/null
BIN=.build/release/tensor-bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== tensor-bench, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" all "$RUNS" >"$OUT/swift-env.tsv"
env -u OPENBLAS_CORETYPE "$BIN" all "$RUNS" >"$OUT/swift-unset.tsv"
"$PY" tools/bench/torch_ops_bench.py all "$RUNS" "$THREADS" >"$OUT/torch.tsv"

"$PY" - "$OUT" <<'PYEOF'
import sys, os
out = sys.argv[1]
def load(name):
    rows, notes = {}, []
    for line in open(os.path.join(out, name)):
        parts = line.rstrip("\n").split("\t")
        if parts[0] == "#":
            notes.append(parts[1])
        else:
            rows[parts[0]] = (float(parts[1]), parts[2] if len(parts) > 2 else "")
    return rows, notes
torch_rows, torch_notes = load("torch.tsv")
print("peer: " + "; ".join(torch_notes))
for label, name in (("OPENBLAS_CORETYPE as set", "swift-env.tsv"), ("OPENBLAS_CORETYPE unset", "swift-unset.tsv")):
    rows, notes = load(name)
    print(f"\n-- Swift with {label}: " + "; ".join(notes))
    print(f"{'figure':34} {'Swift ms':>10} {'peer':30} {'peer ms':>10} {'peer/Swift':>10}  note")
    for shape in ("1408x4096x4096", "1408x4096x16384"):
        base = rows[f"sgemm_{shape}"][0]
        for fig in ("linear", "linear_bias"):
            ms, note = rows[f"{fig}_{shape}"]
            print(f"{fig + '_' + shape:34} {ms:10.2f} {'bare cblas_sgemm':30} {base:10.2f} {base / ms:10.3f}  {note}")
        for peer in ("fp32", "bf16"):
            pms, pnote = torch_rows[f"torch_{peer}_{shape}"]
            ms = rows[f"linear_{shape}"][0]
            print(f"{'linear_' + shape:34} {ms:10.2f} {'torch ' + peer + ' (' + pnote + ')':30} {pms:10.2f} {pms / ms:10.3f}")
    ms, note = rows["attention_32x128x1408"]
    pms, pnote = torch_rows["torch_attention_32x128x1408"]
    print(f"{'attention_32x128x1408':34} {ms:10.2f} {'torch SDPA fp32':30} {pms:10.2f} {pms / ms:10.3f}  {note}; torch: {pnote}")
PYEOF
