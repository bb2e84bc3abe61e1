#include "CKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

// Each output is one dot product of the row with a weight row, over 16 lanes, then the lanes
// summed (`_mm512_reduce_add_ps`) and the bias added. Four rows at a time, so four independent
// chains of multiply-adds share each weight load (one chain alone waits on the FMA latency).
__attribute__((target("avx512f")))
static inline float dot_finish(__m512 acc, const float *bias, size_t j) {
    return _mm512_reduce_add_ps(acc) + (bias ? bias[j] : 0.0f);
}

__attribute__((target("avx512f")))
static void narrow_avx512(const float *x, const float *w, const float *bias, float *out, size_t m, size_t k, size_t n) {
    size_t full = k & ~(size_t)15;
    __mmask16 tail = (__mmask16)((1u << (k - full)) - 1);
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *r0 = x + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
        for (size_t j = 0; j < n; j++) {
            const float *weights = w + j * k;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t c = 0; c < full; c += 16) {
                __m512 wv = _mm512_loadu_ps(weights + c);
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + c), wv, a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + c), wv, a1);
                a2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + c), wv, a2);
                a3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + c), wv, a3);
            }
            if (tail) {
                __m512 wv = _mm512_maskz_loadu_ps(tail, weights + full);
                a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r0 + full), wv, a0);
                a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r1 + full), wv, a1);
                a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r2 + full), wv, a2);
                a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r3 + full), wv, a3);
            }
            out[i * n + j] = dot_finish(a0, bias, j);
            out[(i + 1) * n + j] = dot_finish(a1, bias, j);
            out[(i + 2) * n + j] = dot_finish(a2, bias, j);
            out[(i + 3) * n + j] = dot_finish(a3, bias, j);
        }
    }
    for (; i < m; i++) {
        const float *row = x + i * k;
        for (size_t j = 0; j < n; j++) {
            const float *weights = w + j * k;
            __m512 acc = _mm512_setzero_ps();
            for (size_t c = 0; c < full; c += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(weights + c), acc);
            if (tail) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, row + full), _mm512_maskz_loadu_ps(tail, weights + full), acc);
            out[i * n + j] = dot_finish(acc, bias, j);
        }
    }
}
#endif

int reelflow_f32_linear_narrow(const float *x, const float *w, const float *bias, float *out, size_t m, size_t k, size_t n) {
#if defined(__x86_64__) || defined(_M_X64)
    if (__builtin_cpu_supports("avx512f")) {
        narrow_avx512(x, w, bias, out, m, k, n);
        return 1;
    }
#endif
    (void)x; (void)w; (void)bias; (void)out; (void)m; (void)k; (void)n;
    return 0;
}
