#include "CKernels.h"

// Results must match the Swift definitions bit for bit: no fused multiply-adds unless asked for.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

// One output row of a bilinear resize of packed 8-bit RGB, in PyTorch's operation order:
// per channel a = s0[i0] * w0 + s0[i1] * w1 along source row 0, b the same along row 1, then
// v = a * wy0 + b * wy1, each product and sum rounded to float (no fused multiply-add), and
// the result normalised as v / 127.5 - 1.

static inline void resize_pixel(const uint8_t *row0, const uint8_t *row1, int32_t i0, int32_t i1,
                                float w0, float w1, float wy0, float wy1, float *out3) {
    for (int c = 0; c < 3; c++) {
        float a = (float)row0[3 * i0 + c] * w0;
        a = a + (float)row0[3 * i1 + c] * w1;
        float b = (float)row1[3 * i0 + c] * w0;
        b = b + (float)row1[3 * i1 + c] * w1;
        float v = a * wy0;
        v = v + b * wy1;
        out3[c] = v / 127.5f - 1.0f;
    }
}

void reelflow_resize_row_rgb8_portable(
    const uint8_t *row0, const uint8_t *row1, size_t row_bytes, const int32_t *i0, const int32_t *i1,
    const float *w0, const float *w1, size_t width, float wy0, float wy1, float *red, float *green, float *blue) {
    (void)row_bytes;
    for (size_t x = 0; x < width; x++) {
        float px[3];
        resize_pixel(row0, row1, i0[x], i1[x], w0[x], w1[x], wy0, wy1, px);
        red[x] = px[0];
        green[x] = px[1];
        blue[x] = px[2];
    }
}

#ifdef REELFLOW_HAVE_X86
// The three channels of eight pixels, each pixel's 4 bytes gathered at byte offset 3 * index
// (R, G, B and the next pixel's first byte, ignored).
__attribute__((target("avx2")))
static inline void gather_rgb(const uint8_t *row, __m256i byte_offsets, __m256 *r, __m256 *g, __m256 *b) {
    const __m256i low = _mm256_set1_epi32(0xFF);
    __m256i words = _mm256_i32gather_epi32((const int *)row, byte_offsets, 1);
    *r = _mm256_cvtepi32_ps(_mm256_and_si256(words, low));
    *g = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(words, 8), low));
    *b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(words, 16), low));
}

__attribute__((target("avx2")))
static inline __m256 lerp_pair(__m256 p, __m256 q, __m256 wp, __m256 wq) {
    return _mm256_add_ps(_mm256_mul_ps(p, wp), _mm256_mul_ps(q, wq));
}

__attribute__((target("avx2")))
static void resize_row_avx2(
    const uint8_t *row0, const uint8_t *row1, size_t row_bytes, const int32_t *i0, const int32_t *i1,
    const float *w0, const float *w1, size_t width, float wy0, float wy1, float *red, float *green, float *blue) {
    const __m256 vy0 = _mm256_set1_ps(wy0), vy1 = _mm256_set1_ps(wy1);
    const __m256 divisor = _mm256_set1_ps(127.5f), one = _mm256_set1_ps(1.0f);
    const __m256i three = _mm256_set1_epi32(3);
    size_t x = 0;
    // Each gather reads 4 bytes from 3 * i1 (one past the pixel); stop the vector loop before
    // a block whose last tap could read past the row's bytes (taps only grow along the row).
    for (; x + 8 <= width && (size_t)(3 * i1[x + 7]) + 4 <= row_bytes; x += 8) {
        __m256i o0 = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(i0 + x)), three);
        __m256i o1 = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(i1 + x)), three);
        __m256 vw0 = _mm256_loadu_ps(w0 + x), vw1 = _mm256_loadu_ps(w1 + x);
        __m256 r00, g00, b00, r01, g01, b01, r10, g10, b10, r11, g11, b11;
        gather_rgb(row0, o0, &r00, &g00, &b00);
        gather_rgb(row0, o1, &r01, &g01, &b01);
        gather_rgb(row1, o0, &r10, &g10, &b10);
        gather_rgb(row1, o1, &r11, &g11, &b11);
        __m256 rv = lerp_pair(lerp_pair(r00, r01, vw0, vw1), lerp_pair(r10, r11, vw0, vw1), vy0, vy1);
        __m256 gv = lerp_pair(lerp_pair(g00, g01, vw0, vw1), lerp_pair(g10, g11, vw0, vw1), vy0, vy1);
        __m256 bv = lerp_pair(lerp_pair(b00, b01, vw0, vw1), lerp_pair(b10, b11, vw0, vw1), vy0, vy1);
        _mm256_storeu_ps(red + x, _mm256_sub_ps(_mm256_div_ps(rv, divisor), one));
        _mm256_storeu_ps(green + x, _mm256_sub_ps(_mm256_div_ps(gv, divisor), one));
        _mm256_storeu_ps(blue + x, _mm256_sub_ps(_mm256_div_ps(bv, divisor), one));
    }
    reelflow_resize_row_rgb8_portable(row0, row1, row_bytes, i0 + x, i1 + x, w0 + x, w1 + x, width - x,
                                      wy0, wy1, red + x, green + x, blue + x);
}
#endif

void reelflow_resize_row_rgb8(
    const uint8_t *row0, const uint8_t *row1, size_t row_bytes, const int32_t *i0, const int32_t *i1,
    const float *w0, const float *w1, size_t width, float wy0, float wy1, float *red, float *green, float *blue) {
#ifdef REELFLOW_HAVE_X86
    if (__builtin_cpu_supports("avx2")) {
        resize_row_avx2(row0, row1, row_bytes, i0, i1, w0, w1, width, wy0, wy1, red, green, blue);
        return;
    }
#endif
    reelflow_resize_row_rgb8_portable(row0, row1, row_bytes, i0, i1, w0, w1, width, wy0, wy1, red, green, blue);
}
