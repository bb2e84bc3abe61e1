// Attention with an online softmax (flash-attention's recurrence) in float32: memory linear
// in tokens, no score matrix. For float32 operands, mixed dtypes and head widths the tensor-core
// kernel (flash_attention.cu) does not take; `roundP` (a type code, 0 for none) rounds the
// probabilities that multiply V, as flash attention does in bf16, while the sums stay float32. One warp per query row, eight rows per block; the block stages
// 32 keys and values at a time in shared memory. Head widths up to 128.

#define ATT_WARPS 8
#define ATT_KEYS 32
#define ATT_MAXD 128

// Every field is 64-bit, so the host fills the struct as an array of Int64 in this order.
struct AttentionArgs {
    i64 q, k, v, out;                       // device pointers
    i64 tq, tk, tv, tout;                   // element type codes
    i64 batch, heads, queries, keys, d, dv;
    i64 qb, qh, qt;                         // strides (elements) of batch, head, token
    i64 kb, kh, kt;
    i64 vb, vh, vt;
    i64 ob, oh, ot;
    i64 maskKind;                           // 0 none, 1 additive, 2 multiplicative, 3 groups
    i64 mask, maskType;                     // additive/multiplicative: tensor and its type
    i64 mb, mh, mi, mj;                     // its strides over [B, H, Tq, Tk] (0 = broadcast)
    i64 groups, crossBias, groupBatch, firstIsolated;  // groups: int32 [T], float [groupBatch, T]
};

__device__ __forceinline__ float group_bias(const AttentionArgs &a, i64 b, i64 i, i64 j, float lowest) {
    const int *g = (const int *)a.groups;
    const float *cb = (const float *)a.crossBias;
    int gi = g[i], gj = g[j];
    i64 row = (a.groupBatch == 1 ? 0 : b) * a.queries;
    if (gi == gj) return 0.0f;
    if (gi == 0) return cb[row + j];
    if (gj == 0) return cb[row + i];
    return (gi > gj ? gi : gj) >= a.firstIsolated ? lowest : 0.0f;
}

extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32)
rf_attention(AttentionArgs a, float scale, float lowest, int roundP) {
    __shared__ float ks[ATT_KEYS][ATT_MAXD + 1];
    __shared__ float vs[ATT_KEYS][ATT_MAXD + 1];
    __shared__ float qs[ATT_WARPS][ATT_MAXD];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const i64 h = blockIdx.y, b = blockIdx.z;
    const i64 i = (i64)blockIdx.x * ATT_WARPS + warp;
    const bool active = i < a.queries;
    const void *q = (const void *)a.q, *k = (const void *)a.k, *v = (const void *)a.v;
    if (active)
        for (i64 c = lane; c < a.d; c += 32) qs[warp][c] = load(q, b * a.qb + h * a.qh + i * a.qt + c, (int)a.tq);
    float acc[ATT_MAXD / 32];
    for (int c = 0; c < ATT_MAXD / 32; ++c) acc[c] = 0;
    float m = NEG_INF, l = 0;
    for (i64 j0 = 0; j0 < a.keys; j0 += ATT_KEYS) {
        __syncthreads();
        const i64 tile = a.keys - j0 < ATT_KEYS ? a.keys - j0 : ATT_KEYS;
        for (i64 e = threadIdx.x; e < tile * a.d; e += blockDim.x) {
            i64 r = e / a.d, c = e - r * a.d;
            ks[r][c] = load(k, b * a.kb + h * a.kh + (j0 + r) * a.kt + c, (int)a.tk);
        }
        for (i64 e = threadIdx.x; e < tile * a.dv; e += blockDim.x) {
            i64 r = e / a.dv, c = e - r * a.dv;
            vs[r][c] = load(v, b * a.vb + h * a.vh + (j0 + r) * a.vt + c, (int)a.tv);
        }
        __syncthreads();
        if (!active) continue;
        const i64 j = j0 + lane;
        float s = NEG_INF, weight = 1;
        if (lane < tile) {
            float dot = 0;
            for (i64 c = 0; c < a.d; ++c) dot += qs[warp][c] * ks[lane][c];
            s = dot * scale;
            if (a.maskKind == 1 || a.maskKind == 2) {
                float mv = load((const void *)a.mask, b * a.mb + h * a.mh + i * a.mi + j * a.mj, (int)a.maskType);
                if (a.maskKind == 1) s += mv; else weight = mv;
            } else if (a.maskKind == 3) {
                s += group_bias(a, b, i, j, lowest);
            }
        }
        float tileMax = s;
        for (int o = 16; o > 0; o >>= 1) tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, o));
        const float next = fmaxf(m, tileMax);
        if (next == NEG_INF) continue;
        const float p = lane < tile ? expf(s - next) * weight : 0.0f;
        const float correction = expf(m - next);
        float ps = p;
        for (int o = 16; o > 0; o >>= 1) ps += __shfl_xor_sync(0xffffffffu, ps, o);
        l = l * correction + ps;
        for (int c = 0; c < ATT_MAXD / 32; ++c) acc[c] *= correction;
        for (int r = 0; r < tile; ++r) {
            float pr = __shfl_sync(0xffffffffu, p, r);
            if (roundP) pr = round_to(pr, roundP);  // as flash attention's P·V in bf16 / fp16
            for (int c = 0; c < ATT_MAXD / 32; ++c) {
                const i64 col = lane + 32 * c;
                if (col < a.dv) acc[c] += pr * vs[r][col];
            }
        }
        m = next;
    }
    if (active)
        for (int c = 0; c < ATT_MAXD / 32; ++c) {
            const i64 col = lane + 32 * c;
            if (col < a.dv) store((void *)a.out, b * a.ob + h * a.oh + i * a.ot + col, (int)a.tout, acc[c] / l);
        }
}
