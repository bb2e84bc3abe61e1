#!/usr/bin/env bash
# Runs tensor-bench from two commits in one invocation and prints each figure's ratio:
# BASE (default 61f64e6, the last commit before the backend seam) and the working tree.
#
#   tools/bench/tensor-before-after.sh [BASE] [runs] [rounds]   (defaults 61f64e6, 3, 2)
#
# BASE is checked out into a temporary git worktree and built in release with its own
# scratch path; the working tree is built as usual. Each round runs every mode on both
# builds, alternating which goes first, under OPENBLAS_CORETYPE as set in the environment
# (Haswell if unset) and with it unset, so both OpenBLAS kernel choices are covered and load
# from other processes hits both builds alike. A figure is the median over all runs of all
# rounds; "after/before" above 1 means the working tree is slower.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE="${1:-61f64e6}"
RUNS="${2:-3}"
ROUNDS="${3:-2}"
CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
MODES=(all kernels conv norms shuffle storage)
PY=/work/venv/bin/python
[ -x "$PY" ] || PY=python3

WORK=$(mktemp -d /tmp/reelflow-base.XXXXXX)
OUT=$(mktemp -d)
cleanup() { git worktree remove --force "$WORK/tree" >/dev/null 2>&1 || true; rm -rf "$WORK" "$OUT"; }
trap cleanup EXIT
git worktree add --detach -q "$WORK/tree" "$BASE"
echo "building $BASE and the working tree (release) ..." >&2
swift build -c release --product tensor-bench --package-path "$WORK/tree" --scratch-path "$WORK/build" \
    >"$WORK/base-build.log" 2>&1 || { tail -20 "$WORK/base-build.log"; exit 1; }
swift build -c release --product tensor-bench >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; exit 1; }
BEFORE="$WORK/build/release/tensor-bench"
AFTER=.build/release/tensor-bench

echo "== tensor-bench before ($BASE) / after ($(git rev-parse --short HEAD)+tree), $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # binary label env-setting
    local bin="$1" label="$2" core="$3"
    for mode in "${MODES[@]}"; do
        if [ "$core" = unset ]; then
            env -u OPENBLAS_CORETYPE "$bin" "$mode" "$RUNS" | grep -v '^#' >>"$OUT/$label-unset.tsv" || true
        else
            OPENBLAS_CORETYPE="$core" "$bin" "$mode" "$RUNS" | grep -v '^#' >>"$OUT/$label-set.tsv" || true
        fi
    done
}
for round in $(seq "$ROUNDS"); do
    for core in "$CORETYPE" unset; do
        if [ $((round % 2)) -eq 1 ]; then run "$BEFORE" before "$core"; run "$AFTER" after "$core"
        else run "$AFTER" after "$core"; run "$BEFORE" before "$core"; fi
    done
done
echo "== done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds x $RUNS runs"

"$PY" - "$OUT" "$CORETYPE" <<'PYEOF'
import os, statistics, sys
out, coretype = sys.argv[1], sys.argv[2]
def load(name):
    rows = {}
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return rows
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2:
            rows.setdefault(parts[0], []).append(float(parts[1]))
    return {k: statistics.median(v) for k, v in rows.items()}
worst = 0.0
for label, suffix in ((f"OPENBLAS_CORETYPE={coretype}", "set"), ("OPENBLAS_CORETYPE unset", "unset")):
    before, after = load(f"before-{suffix}.tsv"), load(f"after-{suffix}.tsv")
    print(f"\n-- {label}")
    print(f"{'figure':44} {'before ms':>10} {'after ms':>10} {'after/before':>12}")
    for key in before:
        if key in after:
            ratio = after[key] / before[key]
            worst = max(worst, ratio)
            print(f"{key:44} {before[key]:10.2f} {after[key]:10.2f} {ratio:12.3f}")
print(f"\nlargest after/before: {worst:.3f}")
PYEOF
