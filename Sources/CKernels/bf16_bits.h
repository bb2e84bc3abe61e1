// float32 to bfloat16 rounding, one value and 16 AVX-512 lanes, shared by the conversion
// kernels (bf16_rounding.c), the fused softmax exponential (exp_kernels.c) and the bf16 row
// kernels (bf16_rows.c), so all give the same words: round to nearest even by integer
// arithmetic on the bits, NaN kept and made quiet.
#ifndef REELFLOW_BF16_BITS_H
#define REELFLOW_BF16_BITS_H

#include <stdint.h>

/// The float bits `b` rounded to bf16: the upper half kept, the lower half zero.
static inline uint32_t round_bits(uint32_t b) {
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) return (b | 0x00400000u) & 0xFFFF0000u;  // NaN
    return (b + 0x7FFFu + ((b >> 16) & 1u)) & 0xFFFF0000u;
}

/// A bf16 word widened to its float (exact: the word is the upper half).
static inline float bf16_widen(uint16_t w) {
    union { uint32_t u; float f; } v = { .u = (uint32_t)w << 16 };
    return v.f;
}

/// `x` rounded to the nearest bf16 value, as a float.
static inline float bf16_round(float x) {
    union { float f; uint32_t u; } v = { .f = x };
    v.u = round_bits(v.u);
    return v.f;
}

/// `x` rounded to the nearest bf16 value, as its word.
static inline uint16_t bf16_word(float x) {
    union { float f; uint32_t u; } v = { .f = x };
    return (uint16_t)(round_bits(v.u) >> 16);
}

#if defined(__x86_64__)
#include <immintrin.h>

/// The float bits of `v` rounded to bf16 in their high 16 bits (the low 16 are garbage).
__attribute__((target("avx512f")))
static inline __m512i round_bits16(__m512 v) {
    __m512i b = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb));
    return _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), _mm512_or_si512(b, _mm512_set1_epi32(0x00400000)));
}


/// 16 bf16 words widened to floats.
__attribute__((target("avx512f")))
static inline __m512 bf16_widen16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

/// 16 floats rounded to the nearest bf16 values, as floats.
__attribute__((target("avx512f")))
static inline __m512 bf16_round16(__m512 v) {
    return _mm512_castsi512_ps(_mm512_and_si512(round_bits16(v), _mm512_set1_epi32((int)0xFFFF0000u)));
}

/// 16 floats rounded to bf16 and stored as words.
__attribute__((target("avx512f")))
static inline void bf16_store16(uint16_t *p, __m512 v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(_mm512_srli_epi32(round_bits16(v), 16)));
}

/// Whether the CPU has AVX-512F and BW (the word kernels' build), read once per file.
static inline int bf16_have_avx512bw(void) {
    static int known = -1;  // a benign race: every thread computes the same answer
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return known;
}

/// In an entry point: runs the AVX-512 build and returns where the CPU has it (nothing off
/// x86-64), so the portable build after it runs everywhere else.
#define RUN_AVX512(kernel, ...)                                                                     \
    if (bf16_have_avx512bw()) {                                                                     \
        kernel(__VA_ARGS__);                                                                        \
        return;                                                                                     \
    }
#else
#define RUN_AVX512(kernel, ...)
#endif

#endif
