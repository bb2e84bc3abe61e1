// The AdaLN modulation and the gated residual of a transformer block in C: in float32 (one
// multiply and one add per step, never fused, as Swift computes them), and from bf16 words to
// bf16 words: each operand widened exactly, torch's rounding to bf16 after every
// step, in 16 lanes on AVX-512 CPUs and one value at a time elsewhere (the same bits). Before,
// Swift widened each operand into float buffers, computed there at SSE2 width and rounded into
// the output: three passes per op, a tenth of a small bf16 step (docs/benchmarks.md, "bf16
// modulation and gated residual in C").
#include "CKernels.h"
#include "bf16_bits.h"

void reelflow_bf16_modulate_portable(
    const uint16_t *x, const uint16_t *scale, const uint16_t *shift, uint16_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float t = bf16_round(1.0f + bf16_widen(scale[i]));
        out[i] = bf16_word(bf16_round(bf16_widen(x[i]) * t) + bf16_widen(shift[i]));
    }
}

static inline float binary(int op, float a, float b) {
    switch (op) {
    case REELFLOW_ADD: return a + b;
    case REELFLOW_SUBTRACT: return a - b;
    case REELFLOW_MULTIPLY: return a * b;
    default: return a / b;
    }
}

void reelflow_bf16_binary_portable(int op, const uint16_t *a, const uint16_t *b, uint16_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = bf16_word(binary(op, bf16_widen(a[i]), bf16_widen(b[i])));
}

void reelflow_f32_binary_portable(int op, const float *a, size_t sa, const float *b, size_t sb, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = binary(op, a[i * sa], b[i * sb]);
}

void reelflow_f32_modulate_portable(const float *x, const float *scale, const float *shift, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float t = 1.0f + scale[i];
        float product = x[i] * t;  // its own statement: never contracted into a fused multiply-add
        out[i] = product + shift[i];
    }
}

void reelflow_f32_add_gated_portable(const float *x, const float *y, const float *gate, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float product = y[i] * gate[i];
        out[i] = x[i] + product;
    }
}

void reelflow_bf16_add_gated_portable(
    const uint16_t *x, const uint16_t *y, const uint16_t *gate, uint16_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = bf16_word(bf16_widen(x[i]) + bf16_round(bf16_widen(y[i]) * bf16_widen(gate[i])));
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static void modulate_avx512(const uint16_t *x, const uint16_t *scale, const uint16_t *shift, uint16_t *out, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 t = bf16_round16(_mm512_add_ps(one, bf16_widen16(scale + i)));
        bf16_store16(out + i, _mm512_add_ps(bf16_round16(_mm512_mul_ps(bf16_widen16(x + i), t)), bf16_widen16(shift + i)));
    }
    reelflow_bf16_modulate_portable(x + i, scale + i, shift + i, out + i, n - i);
}

AVX512 static void add_gated_avx512(const uint16_t *x, const uint16_t *y, const uint16_t *gate, uint16_t *out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        bf16_store16(out + i, _mm512_add_ps(bf16_widen16(x + i), bf16_round16(_mm512_mul_ps(bf16_widen16(y + i), bf16_widen16(gate + i)))));
    }
    reelflow_bf16_add_gated_portable(x + i, y + i, gate + i, out + i, n - i);
}

AVX512 static inline __m512 binary16(int op, __m512 a, __m512 b) {
    switch (op) {
    case REELFLOW_ADD: return _mm512_add_ps(a, b);
    case REELFLOW_SUBTRACT: return _mm512_sub_ps(a, b);
    case REELFLOW_MULTIPLY: return _mm512_mul_ps(a, b);
    default: return _mm512_div_ps(a, b);
    }
}

AVX512 static void binary_avx512(int op, const uint16_t *a, const uint16_t *b, uint16_t *out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) bf16_store16(out + i, binary16(op, bf16_widen16(a + i), bf16_widen16(b + i)));
    reelflow_bf16_binary_portable(op, a + i, b + i, out + i, n - i);
}

// sa, sb: 1 (a row) or 0 (one value repeated).
AVX512 static void f32_binary_avx512(int op, const float *a, size_t sa, const float *b, size_t sb, float *out, size_t n) {
    size_t i = 0;
    const __m512 a0 = _mm512_set1_ps(a[0]), b0 = _mm512_set1_ps(b[0]);
    for (; i + 16 <= n; i += 16) {
        __m512 x = sa ? _mm512_loadu_ps(a + i) : a0, y = sb ? _mm512_loadu_ps(b + i) : b0;
        _mm512_storeu_ps(out + i, binary16(op, x, y));
    }
    reelflow_f32_binary_portable(op, a + i * sa, sa, b + i * sb, sb, out + i, n - i);
}

AVX512 static void f32_modulate_avx512(const float *x, const float *scale, const float *shift, float *out, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 t = _mm512_add_ps(one, _mm512_loadu_ps(scale + i));
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), t), _mm512_loadu_ps(shift + i)));
    }
    reelflow_f32_modulate_portable(x + i, scale + i, shift + i, out + i, n - i);
}

AVX512 static void f32_add_gated_avx512(const float *x, const float *y, const float *gate, float *out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(x + i), _mm512_mul_ps(_mm512_loadu_ps(y + i), _mm512_loadu_ps(gate + i))));
    }
    reelflow_f32_add_gated_portable(x + i, y + i, gate + i, out + i, n - i);
}

#endif

void reelflow_bf16_modulate(const uint16_t *x, const uint16_t *scale, const uint16_t *shift, uint16_t *out, size_t n) {
    RUN_AVX512(modulate_avx512, x, scale, shift, out, n)
    reelflow_bf16_modulate_portable(x, scale, shift, out, n);
}

void reelflow_bf16_add_gated(const uint16_t *x, const uint16_t *y, const uint16_t *gate, uint16_t *out, size_t n) {
    RUN_AVX512(add_gated_avx512, x, y, gate, out, n)
    reelflow_bf16_add_gated_portable(x, y, gate, out, n);
}

void reelflow_f32_modulate(const float *x, const float *scale, const float *shift, float *out, size_t n) {
    RUN_AVX512(f32_modulate_avx512, x, scale, shift, out, n)
    reelflow_f32_modulate_portable(x, scale, shift, out, n);
}

void reelflow_f32_add_gated(const float *x, const float *y, const float *gate, float *out, size_t n) {
    RUN_AVX512(f32_add_gated_avx512, x, y, gate, out, n)
    reelflow_f32_add_gated_portable(x, y, gate, out, n);
}

void reelflow_bf16_binary(int op, const uint16_t *a, const uint16_t *b, uint16_t *out, size_t n) {
    RUN_AVX512(binary_avx512, op, a, b, out, n)
    reelflow_bf16_binary_portable(op, a, b, out, n);
}

void reelflow_f32_binary(int op, const float *a, size_t sa, const float *b, size_t sb, float *out, size_t n) {
    if (n == 0) return;
    RUN_AVX512(f32_binary_avx512, op, a, sa, b, sb, out, n)
    reelflow_f32_binary_portable(op, a, sa, b, sb, out, n);
}
