#!/usr/bin/env bash
# Engine speed target (issue 8): a fully cached rerun of graphs/hello.yaml costs at most
# 30 ms more than the process's own start (`reelflow --version`). Both are timed by hyperfine
# in the same run, ROUNDS times alternately; release build. Needs hyperfine (installed with
# apt-get when missing). Results: docs/benchmarks.md, "Engine: cached rerun of hello.yaml".
#
#   tools/bench/cached-rerun.sh            # RUNS=41 ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-41}
ROUNDS=${ROUNDS:-3}
if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "cached-rerun: installing hyperfine (apt-get)" >&2
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null; } || {
    echo "cached-rerun: needs hyperfine (Debian/Ubuntu: apt-get install hyperfine)" >&2; exit 2; }
fi
swift build -c release --product reelflow >/dev/null
REELFLOW="$(swift build -c release --show-bin-path)/reelflow"
WORK=$(mktemp -d /tmp/reelflow-rerun-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Fill the cache: the first run computes every node (the Delay node takes 1.5 s).
"$REELFLOW" run graphs/hello.yaml --cache-dir "$WORK/cache" >/dev/null
"$REELFLOW" run graphs/hello.yaml --cache-dir "$WORK/cache" | grep -q ": 0 ran," || {
  echo "cached-rerun: the second run was not served from the cache" >&2; exit 1; }
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  $(nproc) cores  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/round$round.json" \
      -n start "$REELFLOW --version" \
      -n rerun "$REELFLOW run graphs/hello.yaml --cache-dir $WORK/cache" >/dev/null
  python3 - "$WORK/round$round.json" "$round" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, c = r["start"], r["rerun"]
extra = (c["median"] - s["median"]) * 1000
print(f"round {sys.argv[2]}: reelflow --version {s['median']*1000:6.1f} ms (mean {s['mean']*1000:.1f} ± {s['stddev']*1000:.1f})   "
      f"cached rerun {c['median']*1000:6.1f} ms (mean {c['mean']*1000:.1f} ± {c['stddev']*1000:.1f})   "
      f"beyond start {extra:5.1f} ms   target <= 30 ms: {'met' if extra <= 30 else 'NOT met'}")
PY
done
