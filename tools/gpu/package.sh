#!/usr/bin/env bash
# Builds cuda-probe for the GPU machine (release, static Swift stdlib: it links only the C
# library) into .gpu/, which .git/info/exclude keeps out of git. The device tool carries .gpu
# (`carry: [".gpu"]`); there, run tools/gpu/run.sh. See docs/cuda.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
swift build -c release --static-swift-stdlib --product cuda-probe >/dev/null
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)/cuda-probe"
rm -rf .gpu && mkdir -p .gpu
cp "$BIN" .gpu/cuda-probe
strip .gpu/cuda-probe 2>/dev/null || true
ldd .gpu/cuda-probe | sed 's/^/links: /'
du -sh .gpu | sed 's/^/package: /'
