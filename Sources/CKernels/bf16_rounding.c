#include "CKernels.h"
#include "bf16_bits.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

// float32 -> bfloat16, round to nearest even, NaN kept quiet (the upper half with bit 0x40 set),
// exactly as BFloat16.bits(from:) in Tensors and torch's .to(torch.bfloat16). Integer arithmetic
// only, so denormals round like everything else (vcvtneps2bf16 would flush them).


void reelflow_f32_to_bf16_portable(const float *x, uint16_t *y, size_t n) {
    const uint32_t *b = (const uint32_t *)x;
    for (size_t i = 0; i < n; i++) y[i] = (uint16_t)(round_bits(b[i]) >> 16);
}

void reelflow_round_bf16_f32_portable(const float *x, float *y, size_t n) {
    const uint32_t *b = (const uint32_t *)x;
    uint32_t *o = (uint32_t *)y;
    for (size_t i = 0; i < n; i++) o[i] = round_bits(b[i]);
}

// bf16 words to float32 (exact: the word is the upper half); the vector kernels' tails and the
// fallback.
static void bf16_to_f32_portable(const uint16_t *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) ((uint32_t *)y)[i] = (uint32_t)x[i] << 16;
}

#ifdef REELFLOW_HAVE_X86
__attribute__((target("avx2")))
static inline __m256i round_bits8(__m256 v) {
    __m256i b = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(b, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb));
    __m256i quiet = _mm256_or_si256(b, _mm256_set1_epi32(0x00400000));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, quiet, nan);
    return _mm256_and_si256(r, _mm256_set1_epi32((int)0xFFFF0000u));
}

__attribute__((target("avx2")))
static void f32_to_bf16_avx2(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i lo = _mm256_srli_epi32(round_bits8(_mm256_loadu_ps(x + i)), 16);
        __m256i hi = _mm256_srli_epi32(round_bits8(_mm256_loadu_ps(x + i + 8)), 16);
        // packus works per 128-bit lane: [lo0 hi0 lo1 hi1] -> reorder the 64-bit quarters.
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);
        _mm256_storeu_si256((__m256i *)(y + i), packed);
    }
    reelflow_f32_to_bf16_portable(x + i, y + i, n - i);
}

// The same arithmetic on 16 lanes (AVX-512F, `round_bits16` in bf16_bits.h): half the
// instructions per value, which matters where every element-wise op of a bf16 model rounds
// its result.

__attribute__((target("avx512f")))
static void f32_to_bf16_avx512(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i words = _mm512_cvtepi32_epi16(_mm512_srli_epi32(round_bits16(_mm512_loadu_ps(x + i)), 16));
        _mm256_storeu_si256((__m256i *)(y + i), words);
    }
    reelflow_f32_to_bf16_portable(x + i, y + i, n - i);
}

__attribute__((target("avx512f")))
static void round_bf16_avx512(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i r = _mm512_and_si512(round_bits16(_mm512_loadu_ps(x + i)), _mm512_set1_epi32((int)0xFFFF0000u));
        _mm512_storeu_si512((void *)(y + i), r);
    }
    reelflow_round_bf16_f32_portable(x + i, y + i, n - i);
}

__attribute__((target("avx512f")))
static void bf16_to_f32_avx512(const uint16_t *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(x + i)));
        _mm512_storeu_si512((void *)(y + i), _mm512_slli_epi32(w, 16));
    }
    bf16_to_f32_portable(x + i, y + i, n - i);
}

__attribute__((target("avx2")))
static void bf16_to_f32_avx2(const uint16_t *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_si256((__m256i *)(y + i), _mm256_slli_epi32(w, 16));
    }
    bf16_to_f32_portable(x + i, y + i, n - i);
}

__attribute__((target("avx2")))
static void round_bf16_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_si256((__m256i *)(y + i), round_bits8(_mm256_loadu_ps(x + i)));
    }
    reelflow_round_bf16_f32_portable(x + i, y + i, n - i);
}
#endif

// Each entry point runs the widest build the CPU has: TRY_AVX512 and TRY_AVX2 call a build
// and return where the CPU supports it (nothing off x86), the portable C runs otherwise.
#ifdef REELFLOW_HAVE_X86
#define TRY_AVX512(kernel, ...)                                                                     \
    if (__builtin_cpu_supports("avx512f")) {                                                        \
        kernel(__VA_ARGS__);                                                                        \
        return;                                                                                     \
    }
#define TRY_AVX2(kernel, ...)                                                                       \
    if (__builtin_cpu_supports("avx2")) {                                                           \
        kernel(__VA_ARGS__);                                                                        \
        return;                                                                                     \
    }
#else
#define TRY_AVX512(kernel, ...)
#define TRY_AVX2(kernel, ...)
#endif

void reelflow_f32_to_bf16(const float *x, uint16_t *y, size_t n) {
    TRY_AVX512(f32_to_bf16_avx512, x, y, n)
    TRY_AVX2(f32_to_bf16_avx2, x, y, n)
    reelflow_f32_to_bf16_portable(x, y, n);
}

void reelflow_round_bf16_f32(const float *x, float *y, size_t n) {
    TRY_AVX512(round_bf16_avx512, x, y, n)
    TRY_AVX2(round_bf16_avx2, x, y, n)
    reelflow_round_bf16_f32_portable(x, y, n);
}

void reelflow_bf16_to_f32(const uint16_t *x, float *y, size_t n) {
    TRY_AVX512(bf16_to_f32_avx512, x, y, n)
    TRY_AVX2(bf16_to_f32_avx2, x, y, n)
    bf16_to_f32_portable(x, y, n);
}

// The AVX2 builds whatever the CPU has beyond AVX2 (plain C without it), so tests on an AVX-512
// machine check them too.
void reelflow_f32_to_bf16_avx2(const float *x, uint16_t *y, size_t n) {
    TRY_AVX2(f32_to_bf16_avx2, x, y, n)
    reelflow_f32_to_bf16_portable(x, y, n);
}

void reelflow_round_bf16_f32_avx2(const float *x, float *y, size_t n) {
    TRY_AVX2(round_bf16_avx2, x, y, n)
    reelflow_round_bf16_f32_portable(x, y, n);
}

void reelflow_bf16_to_f32_avx2(const uint16_t *x, float *y, size_t n) {
    TRY_AVX2(bf16_to_f32_avx2, x, y, n)
    bf16_to_f32_portable(x, y, n);
}
