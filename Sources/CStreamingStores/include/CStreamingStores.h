// Conversions that write their float32 output with non-temporal (streaming) stores, which
// bypass the caches and skip the read-for-ownership of each destination cache line. Swift has
// no way to emit such stores, hence this small C target. Used only inside Tensors.
#ifndef REELFLOW_CSTREAMINGSTORES_H
#define REELFLOW_CSTREAMINGSTORES_H

#include <stddef.h>
#include <stdint.h>

/// Converts `count` little-endian bfloat16 values at `source` (any alignment) to float32 at
/// `destination`, writing with streaming stores where the CPU has them (x86-64 SSE2) and
/// plain stores elsewhere. Ends with a store fence, so the result is visible to any thread
/// that synchronises with the caller afterwards.
void reelflow_bf16_to_f32_streaming(const void *source, float *destination, size_t count);

#endif
