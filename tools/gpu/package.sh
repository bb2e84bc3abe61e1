#!/usr/bin/env bash
# Builds the GPU tools for the GPU machine (release, static Swift stdlib) into .gpu/, which
# .git/info/exclude keeps out of git: cuda-probe (links only the C library) and cuda-op-suite
# (the shared op suite and op benchmarks on the CUDA backend; links OpenBLAS, whose shared
# libraries are copied into .gpu/lib). Binaries travel gzipped to stay inside the device
# tool's 64 MiB. The device tool carries .gpu (`carry: [".gpu"]`); there, run
# tools/gpu/run.sh. See docs/cuda.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
PRODUCTS="${*:-cuda-probe cuda-op-suite}"
for p in $PRODUCTS; do swift build -c release --static-swift-stdlib --product "$p" >/dev/null; done
BIN_DIR="$(swift build -c release --static-swift-stdlib --show-bin-path)"
rm -rf .gpu && mkdir -p .gpu/lib
for p in $PRODUCTS; do
  cp "$BIN_DIR/$p" ".gpu/$p"
  strip ".gpu/$p" 2>/dev/null || true
  # Shared libraries outside the C library and the C++ runtime (which Ubuntu 24.04 has).
  { ldd ".gpu/$p" || true; } | awk '/=> \// {print $3}' | { grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' \
    || true; } | while read -r lib; do cp -L "$lib" .gpu/lib/; done
  gzip -9 ".gpu/$p"
done
gzip -9 .gpu/lib/* 2>/dev/null || true
ls -la .gpu .gpu/lib | sed 's/^/  /'
du -sh .gpu | sed 's/^/package: /'
