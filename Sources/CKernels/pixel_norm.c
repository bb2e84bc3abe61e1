// ltx-core's PixelNorm of bf16 activations (`x / sqrt(mean(x^2 over channels) + eps)`, every
// step rounded to bf16 as its bf16 ops round), from bf16 words to bf16 words for one block of
// positions: squares summed over channels in order, then the divisions. 16 positions per
// AVX-512 vector, the same IEEE operations per position as the plain C loop (division and
// square root are correctly rounded in both), so the words agree on every CPU.
#include "CKernels.h"
#include "bf16_bits.h"

#include <math.h>

static inline float widen(uint16_t w) { return (union { uint32_t u; float f; }){ .u = (uint32_t)w << 16 }.f; }

static inline float round_to_bf16(float x) {
    union { float f; uint32_t u; } v = { .f = x };
    v.u = round_bits(v.u);
    return v.f;
}

static inline uint16_t word(float x) {
    union { float f; uint32_t u; } v = { .f = x };
    return (uint16_t)(round_bits(v.u) >> 16);
}

static void positions_portable(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t from, size_t to, float eps, float *rms) {
    for (size_t j = from; j < to; j++) rms[j] = 0;
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = from; j < to; j++) {
            float v = widen(s[c * spatial + j]);
            float square = round_to_bf16(v * v);
            rms[j] += square;
        }
    }
    for (size_t j = from; j < to; j++) {
        float mean = round_to_bf16(rms[j] / (float)channels);
        rms[j] = round_to_bf16(sqrtf(round_to_bf16(mean + eps)));
    }
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = from; j < to; j++) d[c * spatial + j] = word(widen(s[c * spatial + j]) / rms[j]);
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static inline __m512 widen16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

AVX512 static inline __m512 round16(__m512 v) {
    return _mm512_castsi512_ps(_mm512_and_si512(round_bits16(v), _mm512_set1_epi32((int)0xFFFF0000u)));
}

AVX512 static size_t positions_avx512(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms) {
    size_t full = len / 16 * 16;
    const __m512 count = _mm512_set1_ps((float)channels), e = _mm512_set1_ps(eps);
    for (size_t j = 0; j < full; j += 16) {
        __m512 sum = _mm512_setzero_ps();
        for (size_t c = 0; c < channels; c++) {
            __m512 v = widen16(s + c * spatial + j);
            sum = _mm512_add_ps(sum, round16(_mm512_mul_ps(v, v)));
        }
        __m512 mean = round16(_mm512_div_ps(sum, count));
        _mm512_storeu_ps(rms + j, round16(_mm512_sqrt_ps(round16(_mm512_add_ps(mean, e)))));
    }
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = 0; j < full; j += 16) {
            __m512 q = _mm512_div_ps(widen16(s + c * spatial + j), _mm512_loadu_ps(rms + j));
            _mm256_storeu_si256((__m256i *)(d + c * spatial + j), _mm512_cvtepi32_epi16(_mm512_srli_epi32(round_bits16(q), 16)));
        }
    }
    return full;
}

static int have_avx512bw(void) {
    static int known = -1;  // a benign race: every thread computes the same answer
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return known;
}
#endif

void reelflow_bf16_pixel_norm_portable(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms) {
    positions_portable(s, d, spatial, channels, 0, len, eps, rms);
}

void reelflow_bf16_pixel_norm(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms) {
    size_t done = 0;
#if defined(__x86_64__)
    if (have_avx512bw()) done = positions_avx512(s, d, spatial, channels, len, eps, rms);
#endif
    positions_portable(s, d, spatial, channels, done, len, eps, rms);
}
