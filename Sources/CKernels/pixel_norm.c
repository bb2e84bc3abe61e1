// ltx-core's PixelNorm of bf16 activations (`x / sqrt(mean(x^2 over channels) + eps)`, every
// step rounded to bf16 as its bf16 ops round), from bf16 words to bf16 words for one block of
// positions: squares summed over channels in order, then the divisions. 16 positions per
// AVX-512 vector, the same IEEE operations per position as the plain C loop (division and
// square root are correctly rounded in both), so the words agree on every CPU.
#include "CKernels.h"
#include "bf16_bits.h"

#include <math.h>

static void positions_portable(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t from, size_t to, float eps, float *rms) {
    for (size_t j = from; j < to; j++) rms[j] = 0;
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = from; j < to; j++) {
            float v = bf16_widen(s[c * spatial + j]);
            float square = bf16_round(v * v);
            rms[j] += square;
        }
    }
    for (size_t j = from; j < to; j++) {
        float mean = bf16_round(rms[j] / (float)channels);
        rms[j] = bf16_round(sqrtf(bf16_round(mean + eps)));
    }
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = from; j < to; j++) d[c * spatial + j] = bf16_word(bf16_widen(s[c * spatial + j]) / rms[j]);
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static size_t positions_avx512(
    const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms) {
    size_t full = len / 16 * 16;
    const __m512 count = _mm512_set1_ps((float)channels), e = _mm512_set1_ps(eps);
    for (size_t j = 0; j < full; j += 16) {
        __m512 sum = _mm512_setzero_ps();
        for (size_t c = 0; c < channels; c++) {
            __m512 v = bf16_widen16(s + c * spatial + j);
            sum = _mm512_add_ps(sum, bf16_round16(_mm512_mul_ps(v, v)));
        }
        __m512 mean = bf16_round16(_mm512_div_ps(sum, count));
        _mm512_storeu_ps(rms + j, bf16_round16(_mm512_sqrt_ps(bf16_round16(_mm512_add_ps(mean, e)))));
    }
    for (size_t c = 0; c < channels; c++) {
        for (size_t j = 0; j < full; j += 16) {
            __m512 q = _mm512_div_ps(bf16_widen16(s + c * spatial + j), _mm512_loadu_ps(rms + j));
            _mm256_storeu_si256((__m256i *)(d + c * spatial + j), _mm512_cvtepi32_epi16(_mm512_srli_epi32(round_bits16(q), 16)));
        }
    }
    return full;
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
    if (bf16_have_avx512bw()) done = positions_avx512(s, d, spatial, channels, len, eps, rms);
#endif
    positions_portable(s, d, spatial, channels, done, len, eps, rms);
}
