#include "CKernels.h"

#include <string.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define REELFLOW_HAVE_SSE2 1
#endif

static inline float bf16_to_f32(const unsigned char *p) {
    uint32_t bits = ((uint32_t)p[0] | ((uint32_t)p[1] << 8)) << 16;
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

void reelflow_bf16_to_f32_streaming(const void *source, float *destination, size_t count) {
    const unsigned char *s = (const unsigned char *)source;
    size_t i = 0;
#ifdef REELFLOW_HAVE_SSE2
    // Plain stores until the destination is 16-byte aligned (streaming stores need it).
    while (i < count && ((uintptr_t)(destination + i) & 15) != 0) {
        destination[i] = bf16_to_f32(s + 2 * i);
        i++;
    }
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= count; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + 2 * i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + 2 * i + 16));
        // Interleaving zeros below each 16-bit value puts it in the high half of a 32-bit lane.
        _mm_stream_si128((__m128i *)(destination + i), _mm_unpacklo_epi16(zero, a));
        _mm_stream_si128((__m128i *)(destination + i + 4), _mm_unpackhi_epi16(zero, a));
        _mm_stream_si128((__m128i *)(destination + i + 8), _mm_unpacklo_epi16(zero, b));
        _mm_stream_si128((__m128i *)(destination + i + 12), _mm_unpackhi_epi16(zero, b));
    }
    _mm_sfence();
#endif
    for (; i < count; i++) destination[i] = bf16_to_f32(s + 2 * i);
}
