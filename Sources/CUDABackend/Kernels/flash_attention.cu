// Attention on the tensor cores for bf16 or fp16 operands with heads 64 or 128 wide
// (flash-attention 2's scheme), for rows of Q, K and V that start 16-byte aligned (always, for
// contiguous tensors): a block of 4 warps takes 64 query rows of one head (the wide variants: 8
// warps, 128 rows sharing each K and V tile), each warp 16 rows held as mma fragments; tiles of 64 keys and values are copied to shared memory by cp.async,
// two stages deep, so the next tile loads while this one is multiplied; K's fragments are read
// with ldmatrix, V's with ldmatrix.trans; P is packed by cvt.rn.bf16x2 (or f16x2) and the
// exponentials are ex2.approx; masks and the last partial tile take the checked path, full
// unmasked tiles skip it. S = Q·Kᵀ and O += P·V run as mma.sync m16n8k16 with float32 accumulators; the online
// softmax keeps float32 row maxima and sums, and P is rounded to the operands' type only for
// the P·V product (as flash attention does, and as the CPU backend's bf16 path does). The
// softmax runs in base 2 (scores scaled by log2 e), as flash attention's does.
// Masks as in attention.cu (a multiplicative weight w enters as log w).

#define LOG2E 1.4426950408889634f

__device__ __forceinline__ unsigned shared_address(const void *p) {
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return (unsigned)a;
}

// Four 8x8 b16 matrices, transposed: thread t gives the row address of matrix t/8, row t%8.
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned addr, unsigned &r0, unsigned &r1, unsigned &r2, unsigned &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
#define FA_BK 64
#define FA_PAD 8

template <int HALF>
__device__ __forceinline__ void mma16816(float *d, const unsigned *a, const unsigned *b) {
    if (HALF) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
}


__device__ __forceinline__ void cp_async16(unsigned dst, const void *src, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }
__device__ __forceinline__ void cp_async_wait_all_but_one() { asm volatile("cp.async.wait_group 1;"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;"); }

__device__ __forceinline__ void ldmatrix_x4(unsigned addr, unsigned &r0, unsigned &r1, unsigned &r2, unsigned &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

__device__ __forceinline__ float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// Two floats rounded to nearest even and packed, `lo` in the low half.
__device__ __forceinline__ unsigned pack2_rn(float lo, float hi, int half) {
    unsigned d;
    if (half) asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    else asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}

// BQ query rows per block: BQ / 16 warps of 16 rows, 2·BQ threads.
template <int D, int HALF, int BQ>
__device__ __forceinline__ void flash_tc2(const AttentionArgs &a, float scale, float lowest) {
    extern __shared__ __align__(16) unsigned short smem[];
    constexpr int ROW = D + FA_PAD;     // elements per shared row (padding keeps ldmatrix conflict-free)
    constexpr int TILE = FA_BK * ROW;   // elements per K or V tile; stage s: K at 2s·TILE, V at (2s+1)·TILE
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, tig = lane & 3;
    const i64 h = blockIdx.y, b = blockIdx.z;
    const i64 q0 = (i64)blockIdx.x * BQ + warp * 16;
    const bool active = q0 < a.queries;
    constexpr int half = HALF;
    const unsigned short *Q = (const unsigned short *)a.q;
    const unsigned short *K = (const unsigned short *)a.k + b * a.kb + h * a.kh;
    const unsigned short *V = (const unsigned short *)a.v + b * a.vb + h * a.vh;
    const unsigned base = shared_address(smem);

    unsigned qf[D / 16][4];
#pragma unroll
    for (int kc = 0; kc < D / 16; ++kc) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
#pragma unroll
            for (int hi = 0; hi < 2; ++hi) {
                const i64 row = q0 + g + 8 * r;
                const int col = kc * 16 + tig * 2 + hi * 8;
                unsigned v = 0;
                if (row < a.queries) v = *(const unsigned *)(Q + b * a.qb + h * a.qh + row * a.qt + col);
                qf[kc][r + 2 * hi] = v;
            }
        }
    }
    float o[D / 8][4];
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn) o[dn][0] = o[dn][1] = o[dn][2] = o[dn][3] = 0.0f;
    // Row maxima (base-2, scaled) and this thread's share of the row sums (summed over the quad
    // at the end: the corrections are the same for the four threads of a row).
    float m[2] = {NEG_INF, NEG_INF}, l[2] = {0.0f, 0.0f};
    const float scale2 = scale * LOG2E;

    // Rows past the last key are zero-filled (src-size 0), and their scores masked below.
    auto loadTile = [&](i64 j0, int stage) {
        for (int e = threadIdx.x; e < FA_BK * D / 8; e += BQ * 2) {
            const int r = e / (D / 8), c = (e - r * (D / 8)) * 8;
            const i64 key = j0 + r;
            const bool in = key < a.keys;
            const i64 at = in ? key : 0;
            const unsigned dst = base + 2u * (unsigned)(2 * stage * TILE + r * ROW + c);
            cp_async16(dst, K + at * a.kt + c, in ? 16 : 0);
            cp_async16(dst + 2u * TILE, V + at * a.vt + c, in ? 16 : 0);
        }
        cp_async_commit();
    };

    const i64 tiles = (a.keys + FA_BK - 1) / FA_BK;
    if (tiles > 0) loadTile(0, 0);
    for (i64 t = 0; t < tiles; ++t) {
        const int stage = (int)(t & 1);
        const i64 j0 = t * FA_BK;
        if (t + 1 < tiles) {
            loadTile(j0 + FA_BK, stage ^ 1);
            cp_async_wait_all_but_one();
        } else {
            cp_async_wait_all();
        }
        __syncthreads();
        if (active) {
            const unsigned ks = base + 2u * (unsigned)(2 * stage * TILE), vs = ks + 2u * TILE;
            float s[FA_BK / 8][4];
#pragma unroll
            for (int n = 0; n < FA_BK / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
            // Per 32 columns of d: every key group's K fragments first (eight ldmatrix in flight),
            // then their sixteen products. Matrices: keys n·8 + 0..7 at d columns kc·16 + 0, 8, 16, 24.
#pragma unroll
            for (int kc = 0; kc < D / 16; kc += 2) {
                unsigned kb[FA_BK / 8][4];
#pragma unroll
                for (int n = 0; n < FA_BK / 8; ++n) {
                    const int row = n * 8 + (lane & 7), col = (lane >> 3) * 8;
                    ldmatrix_x4(ks + 2u * (unsigned)(row * ROW + kc * 16 + col), kb[n][0], kb[n][1], kb[n][2], kb[n][3]);
                }
#pragma unroll
                for (int n = 0; n < FA_BK / 8; ++n) {
                    mma16816<HALF>(s[n], qf[kc], kb[n]);
                    mma16816<HALF>(s[n], qf[kc + 1], kb[n] + 2);
                }
            }
            float tileMax[2] = {NEG_INF, NEG_INF};
            if (a.maskKind != 0 || j0 + FA_BK > a.keys) {
#pragma unroll
                for (int n = 0; n < FA_BK / 8; ++n) {
#pragma unroll
                    for (int i = 0; i < 4; ++i) {
                        const int r = i >> 1;
                        const i64 qi = q0 + g + 8 * r, kj = j0 + n * 8 + tig * 2 + (i & 1);
                        float v = s[n][i] * scale2;
                        if (kj >= a.keys) {
                            v = NEG_INF;
                        } else if (qi >= a.queries) {
                            v = 0.0f;
                        } else if (a.maskKind == 1) {
                            v += LOG2E * load((const void *)a.mask, b * a.mb + h * a.mh + qi * a.mi + kj * a.mj, (int)a.maskType);
                        } else if (a.maskKind == 2) {
                            const float w = load((const void *)a.mask, b * a.mb + h * a.mh + qi * a.mi + kj * a.mj, (int)a.maskType);
                            v = w > 0.0f ? v + log2f(w) : NEG_INF;
                        } else if (a.maskKind == 3) {
                            v += LOG2E * group_bias(a, b, qi, kj, lowest);
                        }
                        s[n][i] = v;
                        tileMax[i >> 1] = fmaxf(tileMax[i >> 1], v);
                    }
                }
            } else {
#pragma unroll
                for (int n = 0; n < FA_BK / 8; ++n) {
#pragma unroll
                    for (int i = 0; i < 4; ++i) {
                        s[n][i] *= scale2;
                        tileMax[i >> 1] = fmaxf(tileMax[i >> 1], s[n][i]);
                    }
                }
            }
            float next[2], correction[2];
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
                tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
                next[r] = fmaxf(m[r], tileMax[r]);
                correction[r] = next[r] == NEG_INF ? 1.0f : fast_exp2(m[r] - next[r]);
                m[r] = next[r];
                l[r] *= correction[r];
            }
            // A row that saw only masked keys so far subtracts 0 (its scores are -inf: p = 0).
            const float shift[2] = {next[0] == NEG_INF ? 0.0f : next[0], next[1] == NEG_INF ? 0.0f : next[1]};
#pragma unroll
            for (int n = 0; n < FA_BK / 8; ++n) {
#pragma unroll
                for (int i = 0; i < 4; ++i) {
                    const float p = fast_exp2(s[n][i] - shift[i >> 1]);
                    s[n][i] = p;
                    l[i >> 1] += p;
                }
            }
#pragma unroll
            for (int dn = 0; dn < D / 8; ++dn) {
                o[dn][0] *= correction[0]; o[dn][1] *= correction[0];
                o[dn][2] *= correction[1]; o[dn][3] *= correction[1];
            }
#pragma unroll
            for (int kc = 0; kc < FA_BK / 16; ++kc) {
                unsigned pa[4];
                pa[0] = pack2_rn(s[2 * kc][0], s[2 * kc][1], half);
                pa[1] = pack2_rn(s[2 * kc][2], s[2 * kc][3], half);
                pa[2] = pack2_rn(s[2 * kc + 1][0], s[2 * kc + 1][1], half);
                pa[3] = pack2_rn(s[2 * kc + 1][2], s[2 * kc + 1][3], half);
                const int mi = lane >> 3, row = kc * 16 + (lane & 7) + 8 * (mi & 1);
                // Half of d's V fragments in flight at a time, then their products.
#pragma unroll
                for (int part = 0; part < 2; ++part) {
                    unsigned vb[D / 32][4];
#pragma unroll
                    for (int k = 0; k < D / 32; ++k) {
                        const int dn = part * (D / 16) + 2 * k;
                        ldmatrix_x4_trans(vs + 2u * (unsigned)(row * ROW + (dn + (mi >> 1)) * 8), vb[k][0], vb[k][1], vb[k][2], vb[k][3]);
                    }
#pragma unroll
                    for (int k = 0; k < D / 32; ++k) {
                        const int dn = part * (D / 16) + 2 * k;
                        mma16816<HALF>(o[dn], pa, vb[k]);
                        mma16816<HALF>(o[dn + 1], pa, vb[k] + 2);
                    }
                }
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    }
    if (!active) return;
    const int outHalf = (int)a.tout;
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            const i64 row = q0 + g + 8 * r;
            const i64 col = dn * 8 + tig * 2;
            if (row >= a.queries) continue;
            const float x = o[dn][2 * r] / l[r], y = o[dn][2 * r + 1] / l[r];
            const i64 at = b * a.ob + h * a.oh + row * a.ot + col;
            if ((outHalf == 1 || outHalf == 2) && (a.ot % 2 == 0) && (at % 2 == 0)) {
                *(unsigned *)((unsigned short *)a.out + at) = pack2_rn(x, y, outHalf == 2);
            } else {
                store((void *)a.out, at, outHalf, x);
                store((void *)a.out, at + 1, outHalf, y);
            }
        }
    }
}

// The element type chosen once per launch (the operands' type code: 2 fp16, else bf16).
template <int D, int BQ>
__device__ __forceinline__ void flash_tc2_typed(const AttentionArgs &a, float scale, float lowest) {
    if (a.tq == 2) flash_tc2<D, 1, BQ>(a, scale, lowest);
    else flash_tc2<D, 0, BQ>(a, scale, lowest);
}

// 64 rows (4 warps) per block, and the wide variants: 128 rows (8 warps) sharing each K and V tile.
extern "C" __global__ void __launch_bounds__(128, 3) rf_flash2_d64(AttentionArgs a, float scale, float lowest) {
    flash_tc2_typed<64, 64>(a, scale, lowest);
}
extern "C" __global__ void __launch_bounds__(128, 2) rf_flash2_d128(AttentionArgs a, float scale, float lowest) {
    flash_tc2_typed<128, 64>(a, scale, lowest);
}
extern "C" __global__ void __launch_bounds__(256, 1) rf_flash2_wide_d64(AttentionArgs a, float scale, float lowest) {
    flash_tc2_typed<64, 128>(a, scale, lowest);
}
extern "C" __global__ void __launch_bounds__(256, 1) rf_flash2_wide_d128(AttentionArgs a, float scale, float lowest) {
    flash_tc2_typed<128, 128>(a, scale, lowest);
}
