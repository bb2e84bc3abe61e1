// Rotary position embedding of [B, T, D] (ltx-core applies it before the heads are split).
// Tables have batch `tb` (B or 1). With `steps`, products round as ltx-core's bf16 ops do
// (interleaved: each product; split: the first product, as addcmul fuses the second).

// Interleaved: tables [tb, T, D]; pairs (2i, 2i+1) rotate. One thread per pair.
extern "C" __global__ void rf_rope_interleaved(void *out, const void *x, const void *c, const void *s, i64 batch, i64 tokens,
                                               i64 width, i64 tb, int tx, int tt, int tout, int steps) {
    const int r = steps ? tout : 0;
    const i64 half = width / 2;
    GRID_STRIDE(i, batch * tokens * half) {
        i64 row = i / half, pair = i - row * half;
        i64 bi = row / tokens, ti = row - bi * tokens;
        i64 xo = row * width + 2 * pair, to = ((tb == 1 ? 0 : bi) * tokens + ti) * width + 2 * pair;
        float x0 = load(x, xo, tx), x1 = load(x, xo + 1, tx);
        store(out, xo, tout, round_to(round_to(x0 * load(c, to, tt), r) - round_to(x1 * load(s, to, tt), r), r));
        store(out, xo + 1, tout, round_to(round_to(x1 * load(c, to + 1, tt), r) + round_to(x0 * load(s, to + 1, tt), r), r));
    }
}

// Split: tables [tb, H, T, half]; each head's vector is [x1 | x2]. One thread per (row, head, j).
extern "C" __global__ void rf_rope_split(void *out, const void *x, const void *c, const void *s, i64 batch, i64 tokens,
                                         i64 heads, i64 half, i64 tb, int tx, int tt, int tout, int steps) {
    const int r = steps ? tout : 0;
    const i64 width = heads * half * 2;
    GRID_STRIDE(i, batch * tokens * heads * half) {
        i64 j = i % half, rest = i / half;
        i64 h = rest % heads, row = rest / heads;
        i64 bi = row / tokens, ti = row - bi * tokens;
        i64 x1 = row * width + h * 2 * half + j, x2 = x1 + half;
        i64 to = (((tb == 1 ? 0 : bi) * heads + h) * tokens + ti) * half + j;
        float a = load(x, x1, tx), b = load(x, x2, tx), cv = load(c, to, tt), sv = load(s, to, tt);
        store(out, x1, tout, round_to(round_to(a * cv, r) - b * sv, r));
        store(out, x2, tout, round_to(round_to(b * cv, r) + a * sv, r));
    }
}
