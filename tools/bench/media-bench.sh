#!/usr/bin/env bash
# Media benchmark (issue 4): Reelflow's Media module against the ffmpeg command line, same
# clip, same run. Needs ffmpeg (with libx264) and hyperfine, and installs them with apt-get
# when missing; builds media-bench in release. Like with like: in process against ffmpeg's own
# loop (`-benchmark` rtime, printed by media-bench inprocess), whole process against whole
# process, with each side's start-up measured separately.
#
#   tools/bench/media-bench.sh            # figures with the environment as it is
#   env -u OPENBLAS_CORETYPE tools/bench/media-bench.sh
#
set -euo pipefail
cd "$(dirname "$0")/../.."

# The peers: the ffmpeg command (Debian's `ffmpeg`, with libx264) and hyperfine. Installed
# with apt-get when missing and we may (root, or sudo without a password); otherwise say so.
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "media-bench: installing ${need[*]} (apt-get)" >&2
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
          --no-install-recommends "${need[@]}" >/dev/null; }; then
    echo "media-bench: needs ${need[*]}, which could not be installed;" \
         "install them (Debian/Ubuntu: apt-get install ${need[*]}) and rerun" >&2
    exit 2
  fi
fi
encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null || true)
if ! grep -q libx264 <<<"$encoders"; then
  echo "media-bench: this ffmpeg has no libx264 encoder; install a build with it (Debian's ffmpeg has it)" >&2
  exit 2
fi
WORK=${WORK:-/tmp/reelflow-media-bench}
RUNS=${RUNS:-21}
mkdir -p "$WORK"
CLIP="$WORK/clip.mp4"
RAW="$WORK/frames.rgb"

swift build -c release --product media-bench >/dev/null
BENCH="$(swift build -c release --show-bin-path)/media-bench"
swift build -c release --product reelflow >/dev/null
REELFLOW="$(swift build -c release --show-bin-path)/reelflow"
# Whole-process decode is `reelflow inspect --decode` (set REELFLOW_DECODE_CMD to compare others).
DECODE_CMD=${REELFLOW_DECODE_CMD:-"$REELFLOW inspect --decode"}

echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  $(nproc) cores  $(ffmpeg -version | head -1)"
# 81 frames of 512x512 testsrc2, H.264 (libx264 medium, CRF 23, yuv420p) at 24 fps.
ffmpeg -v error -y -f lavfi -i testsrc2=size=512x512:rate=24 -frames:v 81 \
    -c:v libx264 -preset medium -crf 23 -pix_fmt yuv420p "$CLIP"
ffmpeg -v error -y -i "$CLIP" -f rawvideo -pix_fmt rgb24 "$RAW"

echo
echo "## In process (media-bench inprocess; each run alternates with the ffmpeg command)"
"$BENCH" inprocess "$CLIP" "$RUNS" "$RAW"

echo
echo "## Process start alone (hyperfine, median): what the whole-process figures below include"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/start.json" \
    -n reelflow "$REELFLOW --version" -n ffmpeg "ffmpeg -version" >/dev/null
python3 - "$WORK/start.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"reelflow --version {r['reelflow']*1000:7.1f} ms   ffmpeg -version {r['ffmpeg']*1000:7.1f} ms")
PY

echo
echo "## Whole process: decode 81 frames (hyperfine, median; start-up included, see above)"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/decode.json" \
    -n reelflow "$DECODE_CMD $CLIP" \
    -n ffmpeg "ffmpeg -v error -i $CLIP -f rawvideo -pix_fmt rgb24 -y /dev/null" >/dev/null
python3 - "$WORK/decode.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"reelflow {r['reelflow']*1000:7.1f} ms   ffmpeg {r['ffmpeg']*1000:7.1f} ms   speed ratio ffmpeg/reelflow {r['ffmpeg']/r['reelflow']:.2f}x")
PY

echo
echo "## Whole process: encode 81 raw RGB frames, libx264 medium CRF 23 (hyperfine, median)"
hyperfine -N --warmup 1 --runs "$(( RUNS < 7 ? RUNS : 7 ))" --export-json "$WORK/encode.json" \
    -n reelflow "$BENCH encode $RAW 512 512 81 $WORK/ours.mp4 23 medium" \
    -n ffmpeg "ffmpeg -v error -f rawvideo -pix_fmt rgb24 -s 512x512 -r 24 -i $RAW -c:v libx264 -preset medium -crf 23 -pix_fmt yuv420p -y $WORK/theirs.mp4" >/dev/null
python3 - "$WORK/encode.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
f = 81
print(f"reelflow {f/r['reelflow']:6.1f} frames/s   ffmpeg {f/r['ffmpeg']:6.1f} frames/s   ratio reelflow/ffmpeg {r['ffmpeg']/r['reelflow']:.2f}x")
PY

echo
echo "## Memory: whole-process decode"
"$BENCH" decode "$CLIP"
