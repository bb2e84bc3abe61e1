// Small C kernels for the inner loops that need instructions Swift cannot emit: non-temporal
// (streaming) stores, which bypass the caches and skip the read-for-ownership of each
// destination cache line; and AVX2 / FMA code chosen at run time on CPUs that have it (the
// package is built for baseline x86-64, so Swift code gets SSE2 only). Each kernel has a
// portable scalar path. Used only inside Tensors and Media, which keep the pointers.
#ifndef REELFLOW_CKERNELS_H
#define REELFLOW_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Converts `count` little-endian bfloat16 values at `source` (any alignment) to float32 at
/// `destination`, writing with streaming stores where the CPU has them (x86-64 SSE2) and
/// plain stores elsewhere. Ends with a store fence, so the result is visible to any thread
/// that synchronises with the caller afterwards.
void reelflow_bf16_to_f32_streaming(const void *source, float *destination, size_t count);

/// Splits `pixels` packed 8-bit RGB triples at `rgb` into three float planes, each value
/// `v / 127.5 - 1` (float division, then subtraction; identical to doing it one value at a
/// time). Uses AVX2 where the CPU has it (checked at run time) and a scalar loop elsewhere.
/// Plain stores: the planes are rows of a frame that callers may read back soon.
void reelflow_rgb24_to_planar_unit(const uint8_t *rgb, size_t pixels, float *red, float *green, float *blue);

/// The largest of `n` floats (-infinity for none; NaNs are skipped as `>` skips them).
float reelflow_max_f32(const float *x, size_t n);

/// `y[i] = e^(x[i] - shift)` for `n` floats (`x` and `y` may be the same buffer), returning the
/// sum of the `y`. The exponential is Cephes' `expf` (within about 2 ulp; 0 for arguments
/// below -87.34, so -infinity gives 0; +infinity above 88.72, where float32 e^x overflows),
/// with AVX-512 or AVX2 and fused multiply-adds where the CPU has them (the same bits either way).
float reelflow_exp_shifted_sum(const float *x, float *y, size_t n, float shift);

/// `reelflow_exp_shifted_sum` of `x[i] * scale` (each product rounded, as a separate scaling
/// pass rounds it): the same values and sum in one pass (attention's softmax, the scale after
/// the scores' product).
float reelflow_exp_scaled_sum(const float *x, float *y, size_t n, float scale, float shift);

/// `reelflow_activation_f32(kind)` of `n` bf16 words into bf16 words (`x` and `y` may be the
/// same buffer): widened exactly, the same float32 activation, rounded to nearest even; one
/// pass with AVX-512 (the same words as widening, activating and rounding in turn).
void reelflow_activation_bf16(int kind, const uint16_t *x, uint16_t *y, size_t n);

/// ltx-core's PixelNorm on bf16 words for `len` consecutive positions of one batch item:
/// channel `c` of position `j` at `s[c * spatial + j]` (the result likewise in `d`), every step
/// rounded to bf16 (the squares, the mean, `+ eps`, the square root, each quotient); `rms` is
/// scratch for `len` floats. AVX-512 where the CPU has it, the same words either way.
void reelflow_bf16_pixel_norm(const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms);
void reelflow_bf16_pixel_norm_portable(const uint16_t *s, uint16_t *d, size_t spatial, size_t channels, size_t len, float eps, float *rms);

/// `e[i] = e^(x[i] * scale - shift)` written as bf16 words (round to nearest even) to `words`,
/// returning the float32 sum of the `e`: the same words and sum as multiplying `x` by `scale`,
/// `reelflow_exp_shifted_sum`, then `reelflow_f32_to_bf16`, in one pass (attention's softmax
/// on bf16 operands, whose probabilities feed a bf16 product).
float reelflow_exp_scaled_sum_bf16(const float *x, uint16_t *words, size_t n, float scale, float shift);

/// `y[i] = cos(x[i])` (`cosine` 1) or `sin(x[i])` (`cosine` 0) for `n` floats (`x` and `y` may
/// be the same buffer). With AVX-512 or AVX2 and FMA: a three-step Cody-Waite reduction by π/2
/// and Cephes' polynomials (the same bits on both paths), for |x| <= 65536; beyond that,
/// infinities and NaN, and on other CPUs, the C library's `sinf` / `cosf`.
void reelflow_sincos_f32(int cosine, const float *x, float *y, size_t n);
/// The AVX2 path (the C library's where the CPU lacks AVX2 or FMA) and the C library's, for tests.
void reelflow_sincos_f32_avx2(int cosine, const float *x, float *y, size_t n);
void reelflow_sincos_f32_portable(int cosine, const float *x, float *y, size_t n);

/// `out[i, j] = x[i, :] · w[j, :] (+ bias[j])` for `m` rows of `k` floats and `n` weight rows:
/// a product with few outputs (attention's per-head gate, 4-32 of them), where a GEMM kernel's
/// 16-wide output tiles go mostly empty. AVX-512 only: returns 0 (nothing written) without it.
int reelflow_f32_linear_narrow(const float *x, const float *w, const float *bias, float *out, size_t m, size_t k, size_t n);

/// The element-wise functions `reelflow_activation_f32` computes.
enum {
    REELFLOW_EXP = 0,        ///< e^x
    REELFLOW_SIGMOID = 1,    ///< 1 / (1 + e^-x)
    REELFLOW_SILU = 2,       ///< x / (1 + e^-x), as torch computes SiLU
    REELFLOW_GELU_TANH = 3,  ///< x / (1 + e^-(2 sqrt(2/pi) (x + 0.044715 x^3))), torch's tanh GELU
};

/// `y[i] = f(x[i])` for `n` floats (`x` and `y` may be the same buffer), `f` one of the
/// `REELFLOW_` functions above, all built on the same exp as `reelflow_exp_shifted_sum`.
void reelflow_activation_f32(int kind, const float *x, float *y, size_t n);

/// Packs `n` pixels from three float planes into 8-bit RGB triples at `out` (exactly `3 * n`
/// bytes written), each value converted as ltx-core's `convert_to_uint8` does on a bf16
/// tensor: `(((x + 1) / 2).clamp(0, 1) * 255)` with every step rounded to bf16, then truncated;
/// NaN gives 0. AVX2 where the CPU has it, scalar elsewhere; both give identical bytes.
void reelflow_pack_rgb8_ltx(const float *red, const float *green, const float *blue, size_t n, uint8_t *out);

/// One output row of a bilinear resize of packed 8-bit RGB into three float planes, in
/// PyTorch's order: per channel `a = s0[i0[x]] * w0[x] + s0[i1[x]] * w1[x]` along source row
/// `row0`, `b` the same along `row1`, `v = a * wy0 + b * wy1` (every product and sum rounded
/// to float, no fused multiply-add), written as `v / 127.5 - 1`. `i0`/`i1` are pixel indices,
/// non-decreasing along the row; `row_bytes` is how many bytes may be read from each row
/// pointer. AVX2 gathers where the CPU has them; the result is identical to the portable code.
void reelflow_resize_row_rgb8(
    const uint8_t *row0, const uint8_t *row1, size_t row_bytes, const int32_t *i0, const int32_t *i1,
    const float *w0, const float *w1, size_t width, float wy0, float wy1, float *red, float *green, float *blue);

/// The same row in plain C only, whatever the CPU (see the portable kernels below).
void reelflow_resize_row_rgb8_portable(
    const uint8_t *row0, const uint8_t *row1, size_t row_bytes, const int32_t *i0, const int32_t *i1,
    const float *w0, const float *w1, size_t width, float wy0, float wy1, float *red, float *green, float *blue);

/// Each dispatching kernel above also exists in plain C only, whatever the CPU, so tests can
/// check the path a CPU without AVX2 would take.
void reelflow_rgb24_to_planar_unit_portable(const uint8_t *rgb, size_t pixels, float *red, float *green, float *blue);
float reelflow_max_f32_portable(const float *x, size_t n);
float reelflow_exp_shifted_sum_portable(const float *x, float *y, size_t n, float shift);
void reelflow_activation_f32_portable(int kind, const float *x, float *y, size_t n);
/// The AVX2 build whatever the CPU has beyond it (scalar without AVX2): the dispatched
/// kernels take AVX-512 where the CPU has it, which must give these bits exactly.
float reelflow_exp_shifted_sum_avx2(const float *x, float *y, size_t n, float shift);
float reelflow_max_f32_avx2(const float *x, size_t n);
void reelflow_activation_f32_avx2(int kind, const float *x, float *y, size_t n);
void reelflow_pack_rgb8_ltx_portable(const float *red, const float *green, const float *blue, size_t n, uint8_t *out);

/// float32 to bfloat16 bit patterns, round to nearest even, NaN kept (quiet): the same values
/// as torch's `.to(torch.bfloat16)`, denormals included. AVX-512 or AVX2 where the CPU has it.
void reelflow_f32_to_bf16(const float *x, uint16_t *y, size_t n);
/// bf16 words to float32, exactly (the word is the float's upper half); ordinary stores, for
/// destinations that stay in cache (reelflow_bf16_to_f32_streaming is for large ones).
void reelflow_bf16_to_f32(const uint16_t *x, float *y, size_t n);
/// Every float rounded to the nearest bfloat16 value and kept as float32 (`x` and `y` may be
/// the same buffer).
void reelflow_round_bf16_f32(const float *x, float *y, size_t n);
void reelflow_f32_to_bf16_portable(const float *x, uint16_t *y, size_t n);
void reelflow_round_bf16_f32_portable(const float *x, float *y, size_t n);
/// The AVX2 builds whatever the CPU has beyond AVX2 (plain C without it): tests compare them.
void reelflow_f32_to_bf16_avx2(const float *x, uint16_t *y, size_t n);
void reelflow_round_bf16_f32_avx2(const float *x, float *y, size_t n);
void reelflow_bf16_to_f32_avx2(const uint16_t *x, float *y, size_t n);

/// `out = r(r(x * r(1 + scale)) + shift)` on `n` bf16 words each, `r` rounding to bf16 as
/// torch's bf16 ops do after every step (ltx-core's AdaLN modulation `x * (1 + scale) + shift`).
/// AVX-512 where the CPU has it; the `_portable` build gives the same words on any CPU.
void reelflow_bf16_modulate(const uint16_t *x, const uint16_t *scale, const uint16_t *shift, uint16_t *out, size_t n);
/// `out = r(x + r(y * gate))` on `n` bf16 words each (the gated residual `x + y * gate`).
void reelflow_bf16_add_gated(const uint16_t *x, const uint16_t *y, const uint16_t *gate, uint16_t *out, size_t n);
/// The ops `reelflow_bf16_binary` computes.
enum { REELFLOW_ADD = 0, REELFLOW_SUBTRACT = 1, REELFLOW_MULTIPLY = 2, REELFLOW_DIVIDE = 3 };
/// `out = r(a op b)` on `n` bf16 words each: widened exactly, one float32 operation, rounded to
/// nearest even (torch's bf16 add, sub, mul, div). AVX-512 where the CPU has it; the
/// `_portable` build gives the same words.
void reelflow_bf16_binary(int op, const uint16_t *a, const uint16_t *b, uint16_t *out, size_t n);
void reelflow_bf16_binary_portable(int op, const uint16_t *a, const uint16_t *b, uint16_t *out, size_t n);
/// `out[i] = a[i·sa] op b[i·sb]` on `n` floats, each stride 1 (a row) or 0 (one value repeated):
/// one IEEE operation per element, so the same bits as Swift's `a + b` (and `-`, `*`, `/`).
/// AVX-512 where the CPU has it; the `_portable` build gives the same values.
void reelflow_f32_binary(int op, const float *a, size_t sa, const float *b, size_t sb, float *out, size_t n);
void reelflow_f32_binary_portable(int op, const float *a, size_t sa, const float *b, size_t sb, float *out, size_t n);
/// The same two in float32: `out = x * (1 + scale) + shift` and `out = x + y * gate`, each
/// product and sum rounded on its own (no fused multiply-add), as Swift computes them.
void reelflow_f32_modulate(const float *x, const float *scale, const float *shift, float *out, size_t n);
void reelflow_f32_add_gated(const float *x, const float *y, const float *gate, float *out, size_t n);
void reelflow_f32_modulate_portable(const float *x, const float *scale, const float *shift, float *out, size_t n);
void reelflow_f32_add_gated_portable(const float *x, const float *y, const float *gate, float *out, size_t n);
void reelflow_bf16_modulate_portable(const uint16_t *x, const uint16_t *scale, const uint16_t *shift, uint16_t *out, size_t n);
void reelflow_bf16_add_gated_portable(const uint16_t *x, const uint16_t *y, const uint16_t *gate, uint16_t *out, size_t n);

/// One `[D]` row of the split rotary embedding (rope_rows.c): for each of `heads` heads, its
/// first `half` channels `x1` and next `half` `x2` become `x1 * cos - x2 * sin` and
/// `x2 * cos + x1 * sin`, head h's tables at `c`/`s` plus `h * head_stride`; `y` is another row.
/// bf16: the first product rounded, then the result (torch's `mul` and `addcmul_`). Never a
/// fused multiply-add. AVX-512 where the CPU has it; `_portable` builds give the same bits.
void reelflow_f32_rope_split_row(const float *x, const float *c, const float *s, size_t heads, size_t half, size_t head_stride, float *y);
void reelflow_bf16_rope_split_row(const uint16_t *x, const uint16_t *c, const uint16_t *s, size_t heads, size_t half, size_t head_stride, uint16_t *y);
void reelflow_f32_rope_split_row_portable(const float *x, const float *c, const float *s, size_t heads, size_t half, size_t head_stride, float *y);
void reelflow_bf16_rope_split_row_portable(const uint16_t *x, const uint16_t *c, const uint16_t *s, size_t heads, size_t half, size_t head_stride, uint16_t *y);

/// 2 when the CPU has AVX-512 (F, BW, DQ, VL), 1 for AVX2 with FMA, 0 otherwise (x86-64 only).
int reelflow_cpu_vector_level(void);
/// The CPU family of an AMD CPU as AMD numbers it (base plus extended family: 0x19 for Zen 3
/// and Zen 4, 0x1A for Zen 5), 0 for other vendors and architectures.
int reelflow_cpu_amd_family(void);

/// Fixes glibc's malloc mmap threshold and trim threshold at these byte counts (`mallopt`);
/// 1 when both were set, 0 otherwise (or where the C library is not glibc).
int reelflow_set_malloc_thresholds(int mmap_threshold, int trim_threshold);

/// Attention's bf16 tile products on Intel AMX (amx_attention.c). 1 when the CPU has AMX-TILE
/// and AMX-BF16 and Linux granted the tile state (asked once); 0 otherwise. The functions below
/// run only where this is 1.
int reelflow_amx_bf16_usable(void);
/// bf16 words a head's keys take packed (`keys` rounded up to 16).
size_t reelflow_amx_keys_packed_count(size_t keys, size_t depth);
/// Packs `keys` rows of `depth` bf16 words (`ldk` apart; `depth` a multiple of 32, at most 128)
/// as the B tiles of `Q · Kᵀ`: per 16 keys and 32 channels a 16 x 32 tile of channel pairs,
/// keys past the end zero. The tiles of key `k0` (a multiple of 16) start at `k0 * depth`.
void reelflow_amx_pack_keys(const uint16_t *k, size_t ldk, size_t keys, size_t depth, uint16_t *packed);
/// `scores[i][j] = Σ_c q[i][c] · key_j[c]` in float32 for `rows` query rows (`ldq` apart) and `cols`
/// packed keys; rows `lds` floats apart, each written up to `cols` rounded up to 16 (the
/// padding keys give 0), so `lds` must be at least that.
void reelflow_amx_scores(
    const uint16_t *q, size_t ldq, size_t rows, size_t depth, const uint16_t *packed, size_t cols, float *scores,
    size_t lds);
/// bf16 words a head's values take packed (`keys` rounded up to 32).
size_t reelflow_amx_values_packed_count(size_t keys, size_t width);
/// Packs `keys` rows of `width` bf16 words (`ldv` apart; `width` a multiple of 16) as the B tiles
/// of `P · V`: per 32 keys and 16 columns a 16 x 32 tile of key pairs, keys past the end zero.
/// The tiles of key `k0` (a multiple of 32) start at `k0 * width`.
void reelflow_amx_pack_values(const uint16_t *v, size_t ldv, size_t keys, size_t width, uint16_t *packed);
/// `out[i][c] = Σ_j p[i][j] · v[j][c]` in float32 for `rows` rows of bf16 probabilities (`ldp`
/// apart, each holding `cols` rounded up to 32 words, zero past `cols`) and packed values.
void reelflow_amx_values(
    const uint16_t *p, size_t ldp, size_t rows, size_t cols, const uint16_t *packed, size_t width, float *out,
    size_t ldo);

/// One item of a pool job: `item` in `0..<count`, `worker` the running thread's slot in
/// `0..<threads` (0 is the caller), so an item may use that slot's scratch.
typedef void (*rf_pool_item)(void *context, long item, int worker);

/// Runs `function(context, item, worker)` for every item in `0..<count` on the calling thread
/// and up to `threads - 1` persistent workers, handing items out one at a time, and returns
/// when all have finished. Idle workers spin about 0.1 ms for the next job before they sleep
/// on a futex, so the short ops of a forward pass hand over in well under a microsecond instead
/// of a thread wake-up each. Returns 0 when it ran the job; 1 when called from inside a job
/// (the caller should run the items itself, inline); 2 when the pool cannot take it (another
/// thread's job is running, `threads < 2`, or not Linux): the caller runs its own path.
int reelflow_pool_run(long count, int threads, rf_pool_item function, void *context);

/// `reelflow_pool_spin(0)` makes idle workers sleep at once instead of spinning, until the
/// matching `reelflow_pool_spin(1)` (calls nest): for code that runs threads of its own, such
/// as oneDNN's OpenMP team, which would otherwise share the cores with spinning workers.
void reelflow_pool_spin(int on);

#endif
