#include "CKernels.h"

// Results must match the Swift definitions bit for bit: no fused multiply-adds unless asked for.
#pragma STDC FP_CONTRACT OFF

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

// ltx-core's convert_to_uint8 on a bf16 tensor: (((x + 1) / 2).clamp(0, 1) * 255).to(uint8),
// every element-wise step rounded to bf16 (round to nearest, ties to even, on the bits), the
// final cast truncating toward zero. NaN gives 0.

static inline float bf16_round(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    memcpy(&v, &bits, 4);
    return v;
}

static inline uint8_t ltx_level(float x) {
    if (x != x) return 0;
    float a = bf16_round(bf16_round(x) + 1.0f);
    float b = bf16_round(a * 0.5f);  // the same correctly rounded value as a / 2
    float c = b < 0.0f ? 0.0f : (b > 1.0f ? 1.0f : b);
    return (uint8_t)bf16_round(c * 255.0f);  // 0...255: the cast truncates
}

static void pack_scalar(const float *r, const float *g, const float *b, size_t n, uint8_t *out) {
    for (size_t i = 0; i < n; i++) {
        out[3 * i] = ltx_level(r[i]);
        out[3 * i + 1] = ltx_level(g[i]);
        out[3 * i + 2] = ltx_level(b[i]);
    }
}

#ifdef REELFLOW_HAVE_X86
__attribute__((target("avx2")))
static inline __m256 bf16_round8(__m256 v) {
    __m256i bits = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
    bits = _mm256_add_epi32(bits, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb));
    return _mm256_castsi256_ps(_mm256_and_si256(bits, _mm256_set1_epi32((int)0xFFFF0000u)));
}

__attribute__((target("avx2")))
static inline __m256i ltx_levels8(__m256 x) {
    __m256 a = bf16_round8(_mm256_add_ps(bf16_round8(x), _mm256_set1_ps(1.0f)));
    __m256 b = bf16_round8(_mm256_mul_ps(a, _mm256_set1_ps(0.5f)));
    __m256 c = _mm256_min_ps(_mm256_max_ps(b, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
    __m256i d = _mm256_cvttps_epi32(bf16_round8(_mm256_mul_ps(c, _mm256_set1_ps(255.0f))));
    __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    return _mm256_andnot_si256(_mm256_castps_si256(nan), d);
}

// Eight pixels a step: the three channels' levels make one 32-bit word a pixel (R | G << 8 |
// B << 16), and a byte shuffle drops every fourth byte. Each 128-bit half then holds 12 bytes
// of output; both are stored 16 bytes wide, the second overwriting the first's 4 spare bytes,
// so a step writes 4 bytes past its 24. The loop stops while at least 10 pixels remain, which
// keeps those bytes inside this call's output; the rest go through the scalar code.
__attribute__((target("avx2")))
static void pack_avx2(const float *r, const float *g, const float *b, size_t n, uint8_t *out) {
    const __m256i drop = _mm256_setr_epi8(
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    size_t i = 0;
    for (; i + 10 <= n; i += 8) {
        __m256i words = _mm256_or_si256(
            _mm256_or_si256(ltx_levels8(_mm256_loadu_ps(r + i)), _mm256_slli_epi32(ltx_levels8(_mm256_loadu_ps(g + i)), 8)),
            _mm256_slli_epi32(ltx_levels8(_mm256_loadu_ps(b + i)), 16));
        __m256i packed = _mm256_shuffle_epi8(words, drop);
        _mm_storeu_si128((__m128i *)(out + 3 * i), _mm256_castsi256_si128(packed));
        _mm_storeu_si128((__m128i *)(out + 3 * i + 12), _mm256_extracti128_si256(packed, 1));
    }
    pack_scalar(r + i, g + i, b + i, n - i, out + 3 * i);
}
#endif

void reelflow_pack_rgb8_ltx(const float *red, const float *green, const float *blue, size_t n, uint8_t *out) {
#ifdef REELFLOW_HAVE_X86
    if (__builtin_cpu_supports("avx2")) {
        pack_avx2(red, green, blue, n, out);
        return;
    }
#endif
    pack_scalar(red, green, blue, n, out);
}

void reelflow_pack_rgb8_ltx_portable(const float *red, const float *green, const float *blue, size_t n, uint8_t *out) {
    pack_scalar(red, green, blue, n, out);
}
