// One token row of LTX-2.3's split rotary embedding, in C so it runs in 16 AVX-512 lanes
// (Swift here is built for SSE2): per head h, the first half `x1` and the second `x2` of
// its channels become `x1 * cos - x2 * sin` and `x2 * cos + x1 * sin`, the tables of head h
// starting `h * head_stride` values in. In bf16 each first product is rounded to bf16 and
// the result rounded once more, as torch's `mul` then `addcmul_` round; the second product
// is not rounded on its own. No multiply-add is ever fused: the Swift loop's bits, on any CPU.
#include "CKernels.h"
#include "bf16_bits.h"

// Channels `from ..< to` of one head: its halves `x1`, `x2`, its tables `c`, `s`.
static void f32_head_columns(
    const float *x1, const float *x2, const float *c, const float *s, float *y1, float *y2, size_t from, size_t to) {
    for (size_t j = from; j < to; j++) {
        float a = x1[j] * c[j], b = x2[j] * s[j];  // separate statements: never fused
        float d = x2[j] * c[j], e = x1[j] * s[j];
        y1[j] = a - b;
        y2[j] = d + e;
    }
}

static void bf16_head_columns(
    const uint16_t *x1, const uint16_t *x2, const uint16_t *c, const uint16_t *s, uint16_t *y1, uint16_t *y2, size_t from,
    size_t to) {
    for (size_t j = from; j < to; j++) {
        float a = bf16_round(bf16_widen(x1[j]) * bf16_widen(c[j]));
        float b = bf16_widen(x2[j]) * bf16_widen(s[j]);
        float d = bf16_round(bf16_widen(x2[j]) * bf16_widen(c[j]));
        float e = bf16_widen(x1[j]) * bf16_widen(s[j]);
        y1[j] = bf16_word(a - b);
        y2[j] = bf16_word(d + e);
    }
}

void reelflow_f32_rope_split_row_portable(
    const float *x, const float *c, const float *s, size_t heads, size_t half, size_t head_stride, float *y) {
    for (size_t h = 0; h < heads; h++) {
        const float *x1 = x + h * 2 * half;
        float *y1 = y + h * 2 * half;
        f32_head_columns(x1, x1 + half, c + h * head_stride, s + h * head_stride, y1, y1 + half, 0, half);
    }
}

void reelflow_bf16_rope_split_row_portable(
    const uint16_t *x, const uint16_t *c, const uint16_t *s, size_t heads, size_t half, size_t head_stride, uint16_t *y) {
    for (size_t h = 0; h < heads; h++) {
        const uint16_t *x1 = x + h * 2 * half;
        uint16_t *y1 = y + h * 2 * half;
        bf16_head_columns(x1, x1 + half, c + h * head_stride, s + h * head_stride, y1, y1 + half, 0, half);
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static void f32_rope_avx512(
    const float *x, const float *c, const float *s, size_t heads, size_t half, size_t head_stride, float *y) {
    size_t full = half / 16 * 16;
    for (size_t h = 0; h < heads; h++) {
        const float *x1 = x + h * 2 * half, *x2 = x1 + half, *ch = c + h * head_stride, *sh = s + h * head_stride;
        float *y1 = y + h * 2 * half, *y2 = y1 + half;
        for (size_t j = 0; j < full; j += 16) {
            __m512 a = _mm512_loadu_ps(x1 + j), b = _mm512_loadu_ps(x2 + j);
            __m512 cv = _mm512_loadu_ps(ch + j), sv = _mm512_loadu_ps(sh + j);
            _mm512_storeu_ps(y1 + j, _mm512_sub_ps(_mm512_mul_ps(a, cv), _mm512_mul_ps(b, sv)));
            _mm512_storeu_ps(y2 + j, _mm512_add_ps(_mm512_mul_ps(b, cv), _mm512_mul_ps(a, sv)));
        }
        f32_head_columns(x1, x2, ch, sh, y1, y2, full, half);  // the rest of this head
    }
}

AVX512 static void bf16_rope_avx512(
    const uint16_t *x, const uint16_t *c, const uint16_t *s, size_t heads, size_t half, size_t head_stride, uint16_t *y) {
    size_t full = half / 16 * 16;
    for (size_t h = 0; h < heads; h++) {
        const uint16_t *x1 = x + h * 2 * half, *x2 = x1 + half, *ch = c + h * head_stride, *sh = s + h * head_stride;
        uint16_t *y1 = y + h * 2 * half, *y2 = y1 + half;
        for (size_t j = 0; j < full; j += 16) {
            __m512 a = bf16_widen16(x1 + j), b = bf16_widen16(x2 + j);
            __m512 cv = bf16_widen16(ch + j), sv = bf16_widen16(sh + j);
            bf16_store16(y1 + j, _mm512_sub_ps(bf16_round16(_mm512_mul_ps(a, cv)), _mm512_mul_ps(b, sv)));
            bf16_store16(y2 + j, _mm512_add_ps(bf16_round16(_mm512_mul_ps(b, cv)), _mm512_mul_ps(a, sv)));
        }
        bf16_head_columns(x1, x2, ch, sh, y1, y2, full, half);  // the rest of this head
    }
}
#endif

void reelflow_f32_rope_split_row(
    const float *x, const float *c, const float *s, size_t heads, size_t half, size_t head_stride, float *y) {
    RUN_AVX512(f32_rope_avx512, x, c, s, heads, half, head_stride, y)
    reelflow_f32_rope_split_row_portable(x, c, s, heads, half, head_stride, y);
}

void reelflow_bf16_rope_split_row(
    const uint16_t *x, const uint16_t *c, const uint16_t *s, size_t heads, size_t half, size_t head_stride, uint16_t *y) {
    RUN_AVX512(bf16_rope_avx512, x, c, s, heads, half, head_stride, y)
    reelflow_bf16_rope_split_row_portable(x, c, s, heads, half, head_stride, y);
}
