// Conversions to float32 that need instructions Swift cannot emit: non-temporal (streaming)
// stores, which bypass the caches and skip the read-for-ownership of each destination cache
// line, and byte shuffles chosen at run time for CPUs that have them (the package is built
// for baseline x86-64). Used only inside Tensors and Media.
#ifndef REELFLOW_CSTREAMINGSTORES_H
#define REELFLOW_CSTREAMINGSTORES_H

#include <stddef.h>
#include <stdint.h>

/// Converts `count` little-endian bfloat16 values at `source` (any alignment) to float32 at
/// `destination`, writing with streaming stores where the CPU has them (x86-64 SSE2) and
/// plain stores elsewhere. Ends with a store fence, so the result is visible to any thread
/// that synchronises with the caller afterwards.
void reelflow_bf16_to_f32_streaming(const void *source, float *destination, size_t count);

/// Splits `pixels` packed 8-bit RGB triples at `rgb` into three float planes, each value
/// `v / 127.5 - 1` (float division, then subtraction; identical to doing it one value at a
/// time). Uses AVX2 where the CPU has it (checked at run time) and a scalar loop elsewhere.
/// Plain stores: the planes are rows of a frame that callers may read back soon.
void reelflow_rgb24_to_planar_unit(const uint8_t *rgb, size_t pixels, float *red, float *green, float *blue);

#endif
