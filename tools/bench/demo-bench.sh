#!/usr/bin/env bash
# Issue 12's benchmark: the built-in demo (graphs/sync-lora-edit.yaml on the tiny random
# models `reelflow demo` makes) cold (an empty cache) and fully cached, time and peak memory;
# and a fully cached rerun beside the process's own start (`reelflow --version`), timed by
# hyperfine in the same run. Target: cached rerun <= 100 ms above the start. Release build.
#
#   tools/bench/demo-bench.sh            # COLD=5 RUNS=21 ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
COLD=${COLD:-5}
RUNS=${RUNS:-21}
ROUNDS=${ROUNDS:-3}
if ! command -v hyperfine >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null; } || {
    echo "demo-bench: needs hyperfine (Debian/Ubuntu: apt-get install hyperfine)" >&2; exit 2; }
fi
swift build -c release --product reelflow >/dev/null
REELFLOW="$(swift build -c release --show-bin-path)/reelflow"
WORK=$(mktemp -d /tmp/reelflow-demo-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$REELFLOW" demo --dir "$WORK/demo" --cache-dir "$WORK/warm" >/dev/null 2>&1   # makes the inputs, fills the cache
D="$WORK/demo"
SETS=(--set "checkpoint=$D/models/ltx-2.3-tiny-random.safetensors" --set "sync_lora=$D/models/loras/tiny-random-ic-lora-d2.safetensors"
      --set "distilled_lora=$D/models/loras/tiny-random-distilled-lora.safetensors" --set "upsampler=$D/models/tiny-random-upscaler-x2.safetensors"
      --set "prompt=$D/models/prompts/tiny-random-context.safetensors" --set "reference=$D/media/reference.mp4"
      --set "edited_frame=$D/media/edited_first_frame.png" --set "output=$D/out/sync-lora-edit.mp4"
      --set width=256 --set height=256 --set frames=25)
"$REELFLOW" run graphs/sync-lora-edit.yaml --cache-dir "$WORK/warm" "${SETS[@]}" | grep -q ": 0 ran," || {
  echo "demo-bench: the rerun was not served from the cache" >&2; exit 1; }
echo "== demo-bench $(date -u +%FT%TZ)  $(nproc) cores  OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  load: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/cold.txt"
for i in $(seq "$COLD"); do
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$REELFLOW" run graphs/sync-lora-edit.yaml --cache-dir "$WORK/cold$i" "${SETS[@]}" >/dev/null
  cat "$WORK/t" >> "$WORK/cold.txt"
done
: > "$WORK/cached.txt"
for i in $(seq "$COLD"); do
  /usr/bin/time -f "%e %M" -o "$WORK/t" "$REELFLOW" run graphs/sync-lora-edit.yaml --cache-dir "$WORK/warm" "${SETS[@]}" >/dev/null
  cat "$WORK/t" >> "$WORK/cached.txt"
done
python3 - "$WORK" <<'PY'
import statistics, sys
w = sys.argv[1]
for name in ("cold", "cached"):
    rows = [tuple(map(float, l.split())) for l in open(f"{w}/{name}.txt") if l.strip()]
    print(f"{name:7s} run: median {statistics.median(r[0] for r in rows):6.2f} s   peak RSS median {statistics.median(r[1] for r in rows)/1024:6.1f} MiB   ({len(rows)} runs)")
PY
for round in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/round$round.json" \
      -n start "$REELFLOW --version" \
      -n rerun "$REELFLOW run graphs/sync-lora-edit.yaml --cache-dir $WORK/warm ${SETS[*]}" >/dev/null
  python3 - "$WORK/round$round.json" "$round" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, c = r["start"], r["rerun"]
extra = (c["median"] - s["median"]) * 1000
print(f"round {sys.argv[2]}: reelflow --version {s['median']*1000:6.1f} ms   cached rerun {c['median']*1000:6.1f} ms   "
      f"ratio {c['median']/s['median']:.2f}x   beyond start {extra:5.1f} ms   target <= 100 ms: {'met' if extra <= 100 else 'NOT met'}")
PY
done
