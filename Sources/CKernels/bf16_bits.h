// float32 to bfloat16 rounding on 16 AVX-512 lanes, shared by the conversion kernels
// (bf16_rounding.c) and the fused softmax exponential (exp_kernels.c), so both give the same
// words: round to nearest even by integer arithmetic on the bits, NaN kept and made quiet.
#ifndef REELFLOW_BF16_BITS_H
#define REELFLOW_BF16_BITS_H

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
