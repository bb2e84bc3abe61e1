#!/usr/bin/env bash
# Builds the GPU tools for the GPU machine (release, static Swift stdlib) into .gpu/, which
# .git/info/exclude keeps out of git: cuda-probe (links only the C library) and cuda-op-suite
# (the shared op suite and op benchmarks on the CUDA backend; links OpenBLAS, whose shared
# libraries are copied into .gpu/lib). Binaries and libraries travel as xz to stay inside the
# device tool's 64 MiB (with the repository). The device tool carries .gpu (`carry: [".gpu"]`); there, run
# tools/gpu/run.sh. See docs/cuda.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
# `tools/gpu/package.sh cuda-op-suite reelflow` adds the whole CLI (for run.sh graph):
# it links a small static FFmpeg (tools/gpu/build-ffmpeg.sh, built once into .gpu-ffmpeg/)
# in a scratch path of its own (.build-gpu-checked), since Debian's shared FFmpeg is too big to
# travel. That build keeps precondition messages (-assert-config Debug, still optimised): on
# the remote machine a failed check must say what failed, where a release build stops silently.
PRODUCTS="${*:-cuda-probe cuda-op-suite}"
# swift build for product $1 with the rest of the arguments.
build() {
  local product=$1; shift
  if [ "$product" = reelflow ]; then
    PKG_CONFIG_PATH="$PWD/.gpu-ffmpeg/lib/pkgconfig" swift build -c release --static-swift-stdlib \
      --scratch-path .build-gpu-checked -Xswiftc -assert-config -Xswiftc Debug "$@"
  else
    swift build -c release --static-swift-stdlib "$@"
  fi
}
for p in $PRODUCTS; do
  [ "$p" != reelflow ] || [ -f .gpu-ffmpeg/lib/libavcodec.a ] || bash tools/gpu/build-ffmpeg.sh
  build "$p" --product "$p" >/dev/null
done
rm -rf .gpu && mkdir -p .gpu/lib
for p in $PRODUCTS; do
  cp "$(build "$p" --show-bin-path)/$p" ".gpu/$p"
  strip ".gpu/$p" 2>/dev/null || true
  # Shared libraries outside the C library and the C++ runtime (which Ubuntu 24.04 has).
  { ldd ".gpu/$p" || true; } | awk '/=> \// {print $3}' | { grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' \
    || true; } | while read -r lib; do cp -L "$lib" .gpu/lib/; done
  xz -9 -T0 ".gpu/$p"
done
for f in .gpu/lib/*; do xz -9 -T0 "$f"; done
ls -la .gpu .gpu/lib | sed 's/^/  /'
du -sh .gpu | sed 's/^/package: /'
