#include "CKernels.h"

// Results must match the Swift definitions bit for bit: no fused multiply-adds unless asked for.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

static inline float unit_level(uint8_t v) { return (float)v / 127.5f - 1.0f; }

static void rgb24_to_planar_scalar(const uint8_t *rgb, size_t pixels, float *r, float *g, float *b) {
    for (size_t i = 0; i < pixels; i++) {
        r[i] = unit_level(rgb[3 * i]);
        g[i] = unit_level(rgb[3 * i + 1]);
        b[i] = unit_level(rgb[3 * i + 2]);
    }
}

#ifdef REELFLOW_HAVE_X86
// Sixteen 8-bit values -> sixteen floats v / 127.5 - 1 (division, then subtraction: the same
// two roundings as the scalar formula, so the results are identical bit for bit).
__attribute__((target("avx2")))
static inline void store_unit16(__m128i bytes, float *out) {
    const __m256 divisor = _mm256_set1_ps(127.5f), one = _mm256_set1_ps(1.0f);
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
    _mm256_storeu_ps(out, _mm256_sub_ps(_mm256_div_ps(lo, divisor), one));
    _mm256_storeu_ps(out + 8, _mm256_sub_ps(_mm256_div_ps(hi, divisor), one));
}

// 16 pixels (48 bytes, three 16-byte loads a b c) at a time: each channel gathers its bytes
// from a, b and c with one byte shuffle each (-1 lanes become 0) and two ORs.
__attribute__((target("avx2")))
static void rgb24_to_planar_avx2(const uint8_t *rgb, size_t pixels, float *r, float *g, float *b) {
    const __m128i ra = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i rb = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i rc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i ga = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i gb = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i gc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i ba = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i bb = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i bc = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    size_t i = 0;
    for (; i + 16 <= pixels; i += 16) {
        const uint8_t *p = rgb + 3 * i;
        __m128i a = _mm_loadu_si128((const __m128i *)p);
        __m128i bm = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i red = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ra), _mm_shuffle_epi8(bm, rb)), _mm_shuffle_epi8(c, rc));
        __m128i green = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ga), _mm_shuffle_epi8(bm, gb)), _mm_shuffle_epi8(c, gc));
        __m128i blue = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ba), _mm_shuffle_epi8(bm, bb)), _mm_shuffle_epi8(c, bc));
        store_unit16(red, r + i);
        store_unit16(green, g + i);
        store_unit16(blue, b + i);
    }
    rgb24_to_planar_scalar(rgb + 3 * i, pixels - i, r + i, g + i, b + i);
}
#endif

void reelflow_rgb24_to_planar_unit(const uint8_t *rgb, size_t pixels, float *red, float *green, float *blue) {
#ifdef REELFLOW_HAVE_X86
    if (__builtin_cpu_supports("avx2")) {
        rgb24_to_planar_avx2(rgb, pixels, red, green, blue);
        return;
    }
#endif
    rgb24_to_planar_scalar(rgb, pixels, red, green, blue);
}

void reelflow_rgb24_to_planar_unit_portable(const uint8_t *rgb, size_t pixels, float *red, float *green, float *blue) {
    rgb24_to_planar_scalar(rgb, pixels, red, green, blue);
}
