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

#endif

#endif
