#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

// sin and cos of float32 on 16 or 8 lanes (RoPE tables: millions of angles up to about 16000
// radians at full size, and the timestep features).
//
// x = j·(π/2) + r with j the nearest integer to x·(2/π): r = x - j·P1 - j·P2 - j·P3, each step
// one fused multiply-add. P1 + P2 + P3 is π/2 to 1e-23; P1 is float(π/2), so j·P1 is exact
// inside the first FMA and x - j·P1 (a multiple of 2^-23 below 1 in size) is exact too; each
// later step rounds once. Then Cephes' minimax polynomials for sin and cos on |r| <= π/4
// (a little beyond where j rounds the other way), and the quadrant j mod 4 picks the
// polynomial and the sign. Arguments beyond SINCOS_LIMIT, infinities and NaN take the C
// library's sinf/cosf. The AVX-512 and AVX2 paths run the same operations, so they give the
// same bits; RoPERowKernelTests measures them against the correctly rounded values.
#define SINCOS_LIMIT 65536.0f
#define TWO_OVER_PI 0x1.45f306p-1f
#define PIO2_1 0x1.921fb6p+0f
#define PIO2_2 -0x1.777a5cp-25f
#define PIO2_3 -0x1.ee59dap-50f
#define SIN_S1 -1.6666654611e-1f
#define SIN_S2 8.3321608736e-3f
#define SIN_S3 -1.9515295891e-4f
#define COS_C1 4.166664568298827e-2f
#define COS_C2 -1.388731625493765e-3f
#define COS_C3 2.443315711809948e-5f

static void sincos_libm(int cosine, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = cosine ? cosf(x[i]) : sinf(x[i]);
}

#ifdef REELFLOW_HAVE_X86
#define AVX512 __attribute__((target("avx512f,avx2,fma")))
#define AVX2 __attribute__((target("avx2,fma")))

// One vector of arguments: returns the values and sets `*outside` to the lanes the C library
// must compute (beyond the limit, infinite or NaN).
AVX512 static inline __m512 sincos16(__m512 x, int cosine, __mmask16 *outside) {
    const __m512 limit = _mm512_set1_ps(SINCOS_LIMIT);
    *outside = _mm512_cmp_ps_mask(_mm512_abs_ps(x), limit, _CMP_NLE_UQ);
    __m512 j = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(TWO_OVER_PI)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(j, _mm512_set1_ps(PIO2_1), x);
    r = _mm512_fnmadd_ps(j, _mm512_set1_ps(PIO2_2), r);
    r = _mm512_fnmadd_ps(j, _mm512_set1_ps(PIO2_3), r);
    __m512 z = _mm512_mul_ps(r, r);
    __m512 ps = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(SIN_S3), z, _mm512_set1_ps(SIN_S2)), z, _mm512_set1_ps(SIN_S1));
    __m512 s = _mm512_fmadd_ps(_mm512_mul_ps(ps, z), r, r);
    __m512 pc = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(COS_C3), z, _mm512_set1_ps(COS_C2)), z, _mm512_set1_ps(COS_C1));
    __m512 c = _mm512_fmadd_ps(_mm512_mul_ps(pc, z), z, _mm512_fnmadd_ps(_mm512_set1_ps(0.5f), z, _mm512_set1_ps(1.0f)));
    // Quadrant (cos x = sin(x + π/2)): odd takes the cosine polynomial, 2 and 3 negate.
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(j), _mm512_set1_epi32(cosine ? 1 : 0));
    __mmask16 odd = _mm512_test_epi32_mask(q, _mm512_set1_epi32(1));
    __m512 v = _mm512_mask_blend_ps(odd, s, c);
    __m512i sign = _mm512_slli_epi32(_mm512_and_si512(q, _mm512_set1_epi32(2)), 30);
    v = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), sign));
    // sin(±0) is that zero (the polynomial's sum would make -0 into +0).
    return cosine ? v : _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ), v, x);
}

AVX512 static void sincos_avx512(int cosine, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        size_t m = n - i < 16 ? n - i : 16;
        __mmask16 lanes = (__mmask16)((1u << m) - 1), outside;
        __m512 in = _mm512_maskz_loadu_ps(lanes, x + i);
        __m512 v = sincos16(in, cosine, &outside);
        outside &= lanes;
        if (outside) {
            // The arguments kept aside first: `y` may be `x`.
            float args[16], out[16];
            _mm512_storeu_ps(args, in);
            _mm512_storeu_ps(out, v);
            while (outside) {
                int k = __builtin_ctz(outside);
                out[k] = cosine ? cosf(args[k]) : sinf(args[k]);
                outside &= (__mmask16)(outside - 1);
            }
            v = _mm512_loadu_ps(out);
        }
        _mm512_mask_storeu_ps(y + i, lanes, v);
    }
}

AVX2 static inline __m256 sincos8(__m256 x, int cosine, int *outside) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    *outside = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(x, abs_mask), _mm256_set1_ps(SINCOS_LIMIT), _CMP_NLE_UQ));
    __m256 j = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(TWO_OVER_PI)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(j, _mm256_set1_ps(PIO2_1), x);
    r = _mm256_fnmadd_ps(j, _mm256_set1_ps(PIO2_2), r);
    r = _mm256_fnmadd_ps(j, _mm256_set1_ps(PIO2_3), r);
    __m256 z = _mm256_mul_ps(r, r);
    __m256 ps = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(SIN_S3), z, _mm256_set1_ps(SIN_S2)), z, _mm256_set1_ps(SIN_S1));
    __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(ps, z), r, r);
    __m256 pc = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(COS_C3), z, _mm256_set1_ps(COS_C2)), z, _mm256_set1_ps(COS_C1));
    __m256 c = _mm256_fmadd_ps(_mm256_mul_ps(pc, z), z, _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), z, _mm256_set1_ps(1.0f)));
    __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(j), _mm256_set1_epi32(cosine ? 1 : 0));
    __m256i oddness = _mm256_slli_epi32(q, 31);  // bit 0 into the sign bit: blendv's selector
    __m256 v = _mm256_blendv_ps(s, c, _mm256_castsi256_ps(oddness));
    __m256i sign = _mm256_slli_epi32(_mm256_and_si256(q, _mm256_set1_epi32(2)), 30);
    v = _mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(v), sign));
    return cosine ? v : _mm256_blendv_ps(v, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

AVX2 static void sincos_avx2(int cosine, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        size_t m = n - i < 8 ? n - i : 8;
        float in[8] = {0}, out[8];
        const float *src = x + i;
        if (m < 8) {
            for (size_t k = 0; k < m; k++) in[k] = x[i + k];
            src = in;
        }
        int outside;
        __m256 v = sincos8(_mm256_loadu_ps(src), cosine, &outside);
        _mm256_storeu_ps(out, v);
        for (size_t k = 0; k < m; k++) y[i + k] = (outside >> k) & 1 ? (cosine ? cosf(x[i + k]) : sinf(x[i + k])) : out[k];
    }
}

static int have_avx2_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int have_avx512(void) { return __builtin_cpu_supports("avx512f") && have_avx2_fma(); }
#endif

void reelflow_sincos_f32(int cosine, const float *x, float *y, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512()) {
        sincos_avx512(cosine, x, y, n);
        return;
    }
    if (have_avx2_fma()) {
        sincos_avx2(cosine, x, y, n);
        return;
    }
#endif
    sincos_libm(cosine, x, y, n);
}

void reelflow_sincos_f32_avx2(int cosine, const float *x, float *y, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx2_fma()) {
        sincos_avx2(cosine, x, y, n);
        return;
    }
#endif
    sincos_libm(cosine, x, y, n);
}

void reelflow_sincos_f32_portable(int cosine, const float *x, float *y, size_t n) { sincos_libm(cosine, x, y, n); }
