#!/usr/bin/env bash
# The LTX video VAE and latent upsampler beside ltx-core 1.0.0 on the CPU (issue 11): the same
# model files and inputs (tools/bench/ltx_vae_bench.py make), in one invocation. Prints each
# figure with ltx-core's and the ratios (Reelflow / ltx-core, below 1 is better) of the median
# time and of the peak RSS growth, under OPENBLAS_CORETYPE as set (Haswell if unset) and unset,
# then the tiled decode's peak beside the untiled one at the same size.
#
#   tools/bench/ltx-vae-bench.sh [runs] [rounds] [figures] [dtype] [coretypes]
#   (defaults 3, 2, the five figures below, f32, "$OPENBLAS_CORETYPE" or Haswell; the longer
#   clip's decode_65x512 and decode_65x512_tiled run when named)
#
# Reelflow runs once per core type in `coretypes` (space-separated, e.g. "Haswell SkylakeX")
# and once with OPENBLAS_CORETYPE unset. With BEFORE_BIN set to an ltx-vae-bench binary of an
# earlier build, that one also runs, under the first core type, for a before/after table.
#
# Rounds alternate the sides; a time is the median over rounds of each process's median, a
# memory figure the largest growth seen.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-3}"
ROUNDS="${2:-2}"
FIGURES="${3:-encode_9x256 decode_9x256 decode_33x384 decode_33x384_tiled upsample_5x12}"
DTYPE="${4:-f32}"
DIR=/tmp/reelflow-ltx-vae-bench
PY=/work/venv/bin/python
THREADS="${TENSOR_THREADS:-2}"
CORETYPES="${5:-${OPENBLAS_CORETYPE:-Haswell}}"
FIRST="${CORETYPES%% *}"
"$PY" tools/bench/ltx_vae_bench.py make "$DIR" >&2
swift build -c release --product ltx-vae-bench >/dev/null
BIN=.build/release/ltx-vae-bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== ltx-vae-bench $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $THREADS threads, $DTYPE"
# OpenBLAS names its kernels when it loads (the run itself then stops: RUNS 0 is refused).
PICK=$(SWIFT_BACKTRACE=enable=no OPENBLAS_VERBOSE=2 env -u OPENBLAS_CORETYPE "$BIN" /dev/null x f32 0 2>&1 | grep -o 'Core: [A-Za-z0-9]*' | head -1 || true)
echo "   OpenBLAS with OPENBLAS_CORETYPE unset picks: ${PICK:-?} (the bench, like reelflow, replaces a generic pick, and AVX-512 ones on AMD Zen 4 by Zen; see docs/tensors.md)"
echo "   environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-<unset>}"
for round in $(seq "$ROUNDS"); do
  for figure in $FIGURES; do
    for coretype in $CORETYPES; do
      OPENBLAS_CORETYPE="$coretype" "$BIN" "$DIR" "$figure" "$DTYPE" "$RUNS" >>"$OUT/swift-$coretype.tsv"
    done
    env -u OPENBLAS_CORETYPE "$BIN" "$DIR" "$figure" "$DTYPE" "$RUNS" >>"$OUT/swift-unset.tsv"
    if [ -n "${BEFORE_BIN:-}" ]; then
      OPENBLAS_CORETYPE="$FIRST" "$BEFORE_BIN" "$DIR" "$figure" "$DTYPE" "$RUNS" >>"$OUT/before-$FIRST.tsv"
    fi
    "$PY" tools/bench/ltx_vae_bench.py time "$DIR" "$figure" "$DTYPE" "$RUNS" "$THREADS" >>"$OUT/torch.tsv"
  done
done
echo "== done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - "$OUT" "$CORETYPES" "$DTYPE" <<'PYEOF'
import os, statistics, sys
out, coretypes, dtype = sys.argv[1], sys.argv[2].split(), sys.argv[3]
def load(name):
    rows = {}
    for line in open(os.path.join(out, name)):
        k, ms, mem = line.split("\t")
        rows.setdefault(k, []).append((float(ms), float(mem)))
    return {k: (statistics.median(v[0] for v in vs), max(v[1] for v in vs)) for k, vs in rows.items()}
torch_rows = load("torch.tsv")
sides = [(f"OPENBLAS_CORETYPE={c}", f"swift-{c}.tsv") for c in coretypes]
sides.append(("OPENBLAS_CORETYPE unset", "swift-unset.tsv"))
sides.append((f"the BEFORE_BIN build, OPENBLAS_CORETYPE={coretypes[0]}", f"before-{coretypes[0]}.tsv"))
for label, name in sides:
    if not os.path.exists(os.path.join(out, name)):
        continue
    rows = load(name)
    print(f"\n-- Reelflow with {label}")
    print(f"{'figure':26} {'Reelflow ms':>12} {'ltx-core ms':>12} {'time ratio':>10} {'RSS+ MiB':>9} {'ltx RSS+':>9} {'mem ratio':>9}")
    for key, (ms, mem) in rows.items():
        pms, pmem = torch_rows[key]
        print(f"{key:26} {ms:12.2f} {pms:12.2f} {ms / pms:10.3f} {mem:9.1f} {pmem:9.1f} {mem / max(pmem, 0.1):9.3f}")
    for size in ("33x384", "65x512"):
        tiled, untiled = f"decode_{size}_tiled_{dtype}", f"decode_{size}_{dtype}"
        if tiled in rows and untiled in rows:
            print(f"tiled / untiled peak at {size}: Reelflow {rows[tiled][1] / max(rows[untiled][1], 0.1):.3f}, "
                  f"ltx-core {torch_rows[tiled][1] / max(torch_rows[untiled][1], 0.1):.3f}")
PYEOF
