#include "CKernels.h"
#include "bf16_bits.h"

#include <math.h>
#include <stdlib.h>

// `x * scale - shift` must round the product before the subtraction in every path (the vector
// paths multiply and subtract in two instructions): no fused multiply-add contracted from C.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define REELFLOW_HAVE_X86 1
#endif

// The exponential is Cephes' expf, the algorithm FastMath.exp in Tensors uses: x = n ln2 + r
// with |r| <= ln2/2 (ln2 split in two constants), a degree-6 polynomial for e^r, and 2^n
// built in the exponent bits (as 2^(n-1) * 2 for n > 0, so n = 128 still fits). Below -87.33654 the
// result is 0 (so -inf gives 0; float32 denormals are flushed), above 88.72284 it is +inf, as
// float32 e^x overflows there. The AVX2 path fuses multiply-adds, so its results may differ
// from the scalar path's in the last bit or two (both are within about 2 ulp of e^x). NaN
// gives NaN on both paths. The AVX-512 path gives the AVX2 path's bits exactly.
#define EXP_LOW (-87.33654f)
#define EXP_HIGH 88.72283f  // above: +inf
#define EXP_MAGIC 12582912.0f  // 1.5 * 2^23: adding it rounds to an integer in the low bits
// Cephes expf: x = n ln2 + r with ln2 split in two (LN2_HI exact in float), then e^r by a
// degree-5 polynomial (P0 highest). Every path below uses these, so they agree bit for bit.
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO 2.12194440e-4f
#define EXP_P0 1.98756915e-4f
#define EXP_P1 1.39819995e-3f
#define EXP_P2 8.33345190e-3f
#define EXP_P3 4.16657959e-2f
#define EXP_P4 1.66666655e-1f
#define EXP_P5 5.00000012e-1f

static inline float exp_scalar(float x) {
    if (x < EXP_LOW) return 0.0f;
    if (x > EXP_HIGH) return INFINITY;
    float t = x * EXP_LOG2E + EXP_MAGIC;
    float n = t - EXP_MAGIC;
    float r = x - n * EXP_LN2_HI + n * EXP_LN2_LO;
    float p = EXP_P0;
    p = p * r + EXP_P1;
    p = p * r + EXP_P2;
    p = p * r + EXP_P3;
    p = p * r + EXP_P4;
    p = p * r + EXP_P5;
    float er = p * r * r + r + 1.0f;
    union { float f; uint32_t u; } bits = { .f = t };
    if (n > 0) {
        union { uint32_t u; float f; } half_scale = { .u = (bits.u + 126u) << 23 };  // 2^(n-1)
        return er * half_scale.f * 2.0f;
    }
    union { uint32_t u; float f; } scale = { .u = (bits.u + 127u) << 23 };  // 2^n, n >= -126
    return er * scale.f;
}

static inline float activation_scalar(int kind, float x) {
    switch (kind) {
    case REELFLOW_EXP: return exp_scalar(x);
    case REELFLOW_SIGMOID: return 1.0f / (1.0f + exp_scalar(-x));
    case REELFLOW_SILU: return x / (1.0f + exp_scalar(-x));
    default: {
        float inner = 1.5957691f * (x + 0.044715f * x * x * x);  // 2 sqrt(2/pi) (x + 0.044715 x^3)
        return x / (1.0f + exp_scalar(-inner));
    }
    }
}

static void activation_scalar_loop(int kind, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = activation_scalar(kind, x[i]);
}

static float max_scalar(const float *x, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

// The exponentials of `x * scale - shift` (the product rounded first, as a separate scaling
// pass makes it; scale 1 multiplies exactly) and their sum.
static float exp_scaled_sum_scalar(const float *x, float *y, size_t n, float scale, float shift) {
    float total = 0;
    for (size_t i = 0; i < n; i++) {
        float e = exp_scalar(x[i] * scale - shift);
        y[i] = e;
        total += e;
    }
    return total;
}

#ifdef REELFLOW_HAVE_X86
__attribute__((target("avx2,fma")))
static inline __m256 exp8(__m256 x) {
    const __m256 low = _mm256_set1_ps(EXP_LOW), magic = _mm256_set1_ps(EXP_MAGIC);
    __m256 underflow = _mm256_cmp_ps(x, low, _CMP_LT_OQ);
    __m256 overflow = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_HIGH), _CMP_GT_OQ);
    // max/min return their second operand when either is NaN: x goes second, so NaN stays NaN.
    x = _mm256_min_ps(_mm256_set1_ps(EXP_HIGH), _mm256_max_ps(low, x));
    __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(EXP_LOG2E), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_HI), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
    __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    // 2^n from the exponent bits: as 2^(n-1) * 2 where n > 0 (n reaches 128 just below the
    // overflow bound, past the largest exponent), as 2^n itself otherwise (n reaches -126 at
    // the underflow bound, the smallest normal exponent).
    __m256 positive = _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_GT_OQ);
    __m256i bias = _mm256_add_epi32(_mm256_set1_epi32(127), _mm256_castps_si256(positive));  // 126 or 127
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), bias), 23);
    __m256 factor = _mm256_blendv_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(2.0f), positive);
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(er, _mm256_castsi256_ps(e)), factor);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), overflow);
    return _mm256_andnot_ps(underflow, y);
}

__attribute__((target("avx2,fma")))
static float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// The row max's end, shared by both vector kernels: accumulators `a` (values 16k..16k+7) and
// `b` (16k+8..16k+15) folded in one fixed order, then the tail from `i` on.
__attribute__((target("avx2,fma")))
static inline float max_finish(__m256 a, __m256 b, const float *x, size_t i, size_t n) {
    a = _mm256_max_ps(a, b);
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    float best = _mm_cvtss_f32(m);
    for (; i < n; i++) best = x[i] > best ? x[i] : best;
    return best;
}

__attribute__((target("avx2,fma")))
static float max_avx2(const float *x, size_t n) {
    __m256 a = _mm256_set1_ps(-INFINITY), b = a;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = _mm256_max_ps(a, _mm256_loadu_ps(x + i));
        b = _mm256_max_ps(b, _mm256_loadu_ps(x + i + 8));
    }
    return max_finish(a, b, x, i, n);
}

__attribute__((target("avx2,fma")))
static float exp_scaled_sum_avx2(const float *x, float *y, size_t n, float scale, float shift) {
    const __m256 s = _mm256_set1_ps(shift), c = _mm256_set1_ps(scale);
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 e0 = exp8(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), c), s));
        __m256 e1 = exp8(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), c), s));
        _mm256_storeu_ps(y + i, e0);
        _mm256_storeu_ps(y + i + 8, e1);
        a = _mm256_add_ps(a, e0);
        b = _mm256_add_ps(b, e1);
    }
    float total = hsum8(_mm256_add_ps(a, b));
    if (i < n) {
        // The tail through one padded vector, so every value comes from the same code.
        float in[16], out[16];
        size_t rest = n - i;
        for (size_t j = 0; j < 16; j++) in[j] = j < rest ? x[i + j] * scale - shift : -INFINITY;
        _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
        _mm256_storeu_ps(out + 8, exp8(_mm256_loadu_ps(in + 8)));
        for (size_t j = 0; j < rest; j++) {
            y[i + j] = out[j];
            total += out[j];
        }
    }
    return total;
}

__attribute__((target("avx2,fma")))
static inline __m256 activation8(int kind, __m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 negative_zero = _mm256_set1_ps(-0.0f);
    switch (kind) {
    case REELFLOW_EXP: return exp8(x);
    case REELFLOW_SIGMOID: return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_xor_ps(x, negative_zero))));
    case REELFLOW_SILU: return _mm256_div_ps(x, _mm256_add_ps(one, exp8(_mm256_xor_ps(x, negative_zero))));
    default: {
        __m256 cube = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 inner = _mm256_mul_ps(_mm256_set1_ps(1.5957691f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), cube, x));
        return _mm256_div_ps(x, _mm256_add_ps(one, exp8(_mm256_xor_ps(inner, negative_zero))));
    }
    }
}

__attribute__((target("avx2,fma")))
static void activation_avx2(int kind, const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, activation8(kind, _mm256_loadu_ps(x + i)));
    if (i < n) {
        // The tail through one padded vector, so every value comes from the same code.
        float in[8] = {0}, out[8];
        for (size_t j = 0; i + j < n; j++) in[j] = x[i + j];
        _mm256_storeu_ps(out, activation8(kind, _mm256_loadu_ps(in)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = out[j];
    }
}

// AVX-512: the same operations as exp8 and activation8 on 16 lanes (masks instead of blends),
// so every value is bit for bit the AVX2 path's; exp_scaled_sum_avx512 keeps lanes 0-7 and
// 8-15 as the AVX2 loop's two accumulators and reduces them the same way, so the sum is too.
__attribute__((target("avx512f,avx2,fma")))
static inline __m512 exp16(__m512 x) {
    const __m512 low = _mm512_set1_ps(EXP_LOW), magic = _mm512_set1_ps(EXP_MAGIC);
    __mmask16 underflow = _mm512_cmp_ps_mask(x, low, _CMP_LT_OQ);
    __mmask16 overflow = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_HIGH), _CMP_GT_OQ);
    x = _mm512_min_ps(_mm512_set1_ps(EXP_HIGH), _mm512_max_ps(low, x));
    __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(EXP_LOG2E), magic);
    __m512 n = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2_HI), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(EXP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P5));
    __m512 er = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    // er * 2^n in one instruction: exact for normal results and rounded once for denormal
    // ones, as the AVX2 path's multiplies by 2^n (or 2^(n-1) and 2) are, so the same bits.
    __m512 y = _mm512_scalef_ps(er, n);
    y = _mm512_mask_blend_ps(overflow, y, _mm512_set1_ps(INFINITY));
    return _mm512_maskz_mov_ps((__mmask16)~underflow, y);
}

__attribute__((target("avx512f,avx2,fma")))
static float exp_scaled_sum_avx512(const float *x, float *y, size_t n, float scale, float shift) {
    const __m512 s = _mm512_set1_ps(shift), c = _mm512_set1_ps(scale);
    __m512 acc = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), c), s));
        _mm512_storeu_ps(y + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    float total = hsum8(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1))));
    if (i < n) {
        float in[16], out[16];
        size_t rest = n - i;
        for (size_t j = 0; j < 16; j++) in[j] = j < rest ? x[i + j] * scale - shift : -INFINITY;
        _mm512_storeu_ps(out, exp16(_mm512_loadu_ps(in)));
        for (size_t j = 0; j < rest; j++) {
            y[i + j] = out[j];
            total += out[j];
        }
    }
    return total;
}

// exp_scaled_sum_avx512 on `x * scale` (one rounded product, as a separate scaling pass
// makes), writing the exponentials as bf16 words instead of floats: the same sum and the same
// words as scaling, reelflow_exp_shifted_sum and reelflow_f32_to_bf16 in turn.
__attribute__((target("avx512f,avx2,fma")))
static float exp_scaled_sum_bf16_avx512(const float *x, uint16_t *words, size_t n, float scale, float shift) {
    const __m512 s = _mm512_set1_ps(shift), c = _mm512_set1_ps(scale);
    __m512 acc = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), c), s));
        bf16_store16(words + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    float total = hsum8(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1))));
    if (i < n) {
        float in[16], out[16];
        uint16_t w[16];
        size_t rest = n - i;
        for (size_t j = 0; j < 16; j++) {
            float scaled = j < rest ? x[i + j] * scale : 0;  // its own statement: never fused
            in[j] = j < rest ? scaled - shift : -INFINITY;
        }
        __m512 e = exp16(_mm512_loadu_ps(in));
        _mm512_storeu_ps(out, e);
        _mm256_storeu_si256((__m256i *)w, _mm512_cvtepi32_epi16(_mm512_srli_epi32(round_bits16(e), 16)));
        for (size_t j = 0; j < rest; j++) {
            words[i + j] = w[j];
            total += out[j];
        }
    }
    return total;
}

__attribute__((target("avx512f,avx2,fma")))
static inline __m512 activation16(int kind, __m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __m512 negated;
    switch (kind) {
    case REELFLOW_EXP: return exp16(x);
    case REELFLOW_SIGMOID:
        negated = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sign));
        return _mm512_div_ps(one, _mm512_add_ps(one, exp16(negated)));
    case REELFLOW_SILU:
        negated = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sign));
        return _mm512_div_ps(x, _mm512_add_ps(one, exp16(negated)));
    default: {
        __m512 cube = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 inner = _mm512_mul_ps(_mm512_set1_ps(1.5957691f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), cube, x));
        negated = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(inner), sign));
        return _mm512_div_ps(x, _mm512_add_ps(one, exp16(negated)));
    }
    }
}

__attribute__((target("avx512f,avx2,fma")))
static void activation_avx512(int kind, const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, activation16(kind, _mm512_loadu_ps(x + i)));
    if (i < n) {
        float in[16] = {0}, out[16];
        for (size_t j = 0; i + j < n; j++) in[j] = x[i + j];
        _mm512_storeu_ps(out, activation16(kind, _mm512_loadu_ps(in)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = out[j];
    }
}

// activation_avx512 from bf16 words to bf16 words: widen, the same 16-lane activation (tail
// padded with zeros as there), round; no float buffer in between.
__attribute__((target("avx512f,avx512bw,avx2,fma")))
static void activation_bf16_avx512(int kind, const uint16_t *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        bf16_store16(y + i, activation16(kind, bf16_widen16(x + i)));
    }
    if (i < n) {
        float in[16] = {0}, out[16];
        for (size_t j = 0; i + j < n; j++) in[j] = bf16_widen(x[i + j]);
        _mm512_storeu_ps(out, activation16(kind, _mm512_loadu_ps(in)));
        reelflow_f32_to_bf16(out, y + i, n - i);
    }
}

// A read of the CPU model the runtime filled in at load time: cheap, and safe from any thread.
static int have_avx2_fma(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int have_avx512(void) { return __builtin_cpu_supports("avx512f") && have_avx2_fma(); }
#endif

void reelflow_activation_f32(int kind, const float *x, float *y, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512()) {
        activation_avx512(kind, x, y, n);
        return;
    }
    if (have_avx2_fma()) {
        activation_avx2(kind, x, y, n);
        return;
    }
#endif
    activation_scalar_loop(kind, x, y, n);
}

#ifdef REELFLOW_HAVE_X86
// The AVX2 kernel on 16 lanes: lanes 0-7 run exactly accumulator `a`'s sequence and lanes 8-15
// `b`'s (NaN included, as max_ps keeps its second operand), so the result is the AVX2 one's.
__attribute__((target("avx512f,avx2,fma")))
static float max_avx512(const float *x, size_t n) {
    __m512 c = _mm512_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) c = _mm512_max_ps(c, _mm512_loadu_ps(x + i));
    return max_finish(_mm512_castps512_ps256(c), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c), 1)), x, i, n);
}
#endif

float reelflow_max_f32(const float *x, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512()) return max_avx512(x, n);
    if (have_avx2_fma()) return max_avx2(x, n);
#endif
    return max_scalar(x, n);
}

float reelflow_exp_scaled_sum(const float *x, float *y, size_t n, float scale, float shift) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512()) return exp_scaled_sum_avx512(x, y, n, scale, shift);
    if (have_avx2_fma()) return exp_scaled_sum_avx2(x, y, n, scale, shift);
#endif
    return exp_scaled_sum_scalar(x, y, n, scale, shift);
}

float reelflow_exp_shifted_sum(const float *x, float *y, size_t n, float shift) {
    return reelflow_exp_scaled_sum(x, y, n, 1.0f, shift);
}

void reelflow_activation_bf16(int kind, const uint16_t *x, uint16_t *y, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512() && __builtin_cpu_supports("avx512bw")) {
        activation_bf16_avx512(kind, x, y, n);
        return;
    }
#endif
    // Elsewhere: widen, the dispatched float32 activation, round, a chunk at a time.
    float chunk[256];
    for (size_t i = 0; i < n; i += 256) {
        size_t m = n - i < 256 ? n - i : 256;
        reelflow_bf16_to_f32(x + i, chunk, m);
        reelflow_activation_f32(kind, chunk, chunk, m);
        reelflow_f32_to_bf16(chunk, y + i, m);
    }
}

float reelflow_exp_scaled_sum_bf16(const float *x, uint16_t *words, size_t n, float scale, float shift) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx512()) return exp_scaled_sum_bf16_avx512(x, words, n, scale, shift);
#endif
    // The three passes it fuses, on a copy (the sum must be one call's, whatever `n`).
    float stack[1024];
    float *scaled = n <= 1024 ? stack : malloc(n * sizeof(float));
    if (!scaled) abort();
    for (size_t i = 0; i < n; i++) scaled[i] = x[i] * scale;
    float total = reelflow_exp_shifted_sum(scaled, scaled, n, shift);
    reelflow_f32_to_bf16(scaled, words, n);
    if (scaled != stack) free(scaled);
    return total;
}

float reelflow_exp_shifted_sum_avx2(const float *x, float *y, size_t n, float shift) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx2_fma()) return exp_scaled_sum_avx2(x, y, n, 1.0f, shift);
#endif
    return exp_scaled_sum_scalar(x, y, n, 1.0f, shift);
}

float reelflow_max_f32_avx2(const float *x, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx2_fma()) return max_avx2(x, n);
#endif
    return max_scalar(x, n);
}

void reelflow_activation_f32_avx2(int kind, const float *x, float *y, size_t n) {
#ifdef REELFLOW_HAVE_X86
    if (have_avx2_fma()) {
        activation_avx2(kind, x, y, n);
        return;
    }
#endif
    activation_scalar_loop(kind, x, y, n);
}

void reelflow_activation_f32_portable(int kind, const float *x, float *y, size_t n) {
    activation_scalar_loop(kind, x, y, n);
}

float reelflow_max_f32_portable(const float *x, size_t n) { return max_scalar(x, n); }

float reelflow_exp_shifted_sum_portable(const float *x, float *y, size_t n, float shift) {
    return exp_scaled_sum_scalar(x, y, n, 1.0f, shift);
}
