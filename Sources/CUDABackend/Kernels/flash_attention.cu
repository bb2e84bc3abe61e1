// Attention on the tensor cores for bf16 or fp16 operands with heads 64 or 128 wide
// (flash-attention 2's scheme): a block of 8 warps takes 128 query rows of one head, each warp
// 16 rows held as mma fragments; 64 keys and values at a time are staged in shared memory
// (16-byte loads where the layout allows, `vec`), V's fragments read with ldmatrix.trans;
// S = Q·Kᵀ and O += P·V run as mma.sync m16n8k16 with float32 accumulators; the online
// softmax keeps float32 row maxima and sums, and P is rounded to the operands' type only for
// the P·V product (as flash attention does, and as the CPU backend's bf16 path does). The
// softmax runs in base 2 (scores scaled by log2 e, exp2f), as flash attention's does.
// Masks as in attention.cu (a multiplicative weight w enters as log w).

#define FA_BQ 128
#define LOG2E 1.4426950408889634f

struct __align__(16) Vec16 { unsigned x, y, z, w; };

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

__device__ __forceinline__ unsigned short to_half_bits(float v, int half) { return half ? float_to_half(v) : float_to_bf16(v); }

__device__ __forceinline__ unsigned pack2(float lo, float hi, int half) {
    return (unsigned)to_half_bits(lo, half) | ((unsigned)to_half_bits(hi, half) << 16);
}

__device__ __forceinline__ void mma16816(float *d, const unsigned *a, const unsigned *b, int half) {
    if (half) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    } else {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
}

template <int D>
__device__ __forceinline__ void flash_tc(const AttentionArgs &a, float scale, float lowest, int vec) {
    __shared__ __align__(16) unsigned short ks[FA_BK][D + FA_PAD];
    __shared__ __align__(16) unsigned short vs[FA_BK][D + FA_PAD];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, tig = lane & 3;
    const i64 h = blockIdx.y, b = blockIdx.z;
    const i64 q0 = (i64)blockIdx.x * FA_BQ + warp * 16;
    const int half = a.tq == 2;
    const unsigned short *Q = (const unsigned short *)a.q, *K = (const unsigned short *)a.k, *V = (const unsigned short *)a.v;

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
    float m[2] = {NEG_INF, NEG_INF}, l[2] = {0.0f, 0.0f};
    const float scale2 = scale * LOG2E;

    for (i64 j0 = 0; j0 < a.keys; j0 += FA_BK) {
        __syncthreads();
        if (vec) {
            for (int e = threadIdx.x; e < FA_BK * D / 8; e += blockDim.x) {
                const int r = e / (D / 8), c = (e - r * (D / 8)) * 8;
                const i64 key = j0 + r;
                Vec16 kv = {0, 0, 0, 0}, vv = {0, 0, 0, 0};
                if (key < a.keys) {
                    kv = *(const Vec16 *)(K + b * a.kb + h * a.kh + key * a.kt + c);
                    vv = *(const Vec16 *)(V + b * a.vb + h * a.vh + key * a.vt + c);
                }
                *(Vec16 *)&ks[r][c] = kv;
                *(Vec16 *)&vs[r][c] = vv;
            }
        } else {
            for (int e = threadIdx.x; e < FA_BK * D / 2; e += blockDim.x) {
                const int r = e / (D / 2), c = (e - r * (D / 2)) * 2;
                const i64 key = j0 + r;
                unsigned kv = 0, vv = 0;
                if (key < a.keys) {
                    kv = *(const unsigned *)(K + b * a.kb + h * a.kh + key * a.kt + c);
                    vv = *(const unsigned *)(V + b * a.vb + h * a.vh + key * a.vt + c);
                }
                *(unsigned *)&ks[r][c] = kv;
                *(unsigned *)&vs[r][c] = vv;
            }
        }
        __syncthreads();
        if (q0 >= a.queries) continue;

        float s[FA_BK / 8][4];
#pragma unroll
        for (int n = 0; n < FA_BK / 8; ++n) {
            s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
            for (int kc = 0; kc < D / 16; ++kc) {
                unsigned bf[2];
                bf[0] = *(const unsigned *)&ks[n * 8 + g][kc * 16 + tig * 2];
                bf[1] = *(const unsigned *)&ks[n * 8 + g][kc * 16 + tig * 2 + 8];
                mma16816(s[n], qf[kc], bf, half);
            }
        }
        float tileMax[2] = {NEG_INF, NEG_INF};
#pragma unroll
        for (int n = 0; n < FA_BK / 8; ++n) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int r = i >> 1;
                const i64 qi = q0 + g + 8 * r, kj = j0 + n * 8 + tig * 2 + (i & 1);
                // log2 e · (q·k · scale + bias)
                float v = s[n][i] * scale2;
                if (kj >= a.keys) {
                    v = NEG_INF;
                } else if (qi >= a.queries) {
                    v = 0.0f;  // a row past the end: computed, never stored
                } else if (a.maskKind == 1) {
                    v += LOG2E * load((const void *)a.mask, b * a.mb + h * a.mh + qi * a.mi + kj * a.mj, (int)a.maskType);
                } else if (a.maskKind == 2) {
                    const float w = load((const void *)a.mask, b * a.mb + h * a.mh + qi * a.mi + kj * a.mj, (int)a.maskType);
                    v = w > 0.0f ? v + log2f(w) : NEG_INF;
                } else if (a.maskKind == 3) {
                    v += LOG2E * group_bias(a, b, qi, kj, lowest);
                }
                s[n][i] = v;
                tileMax[r] = fmaxf(tileMax[r], v);
            }
        }
        float next[2], correction[2], rowSum[2] = {0.0f, 0.0f};
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
            tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
            next[r] = fmaxf(m[r], tileMax[r]);
            correction[r] = next[r] == NEG_INF ? 1.0f : exp2f(m[r] - next[r]);
        }
#pragma unroll
        for (int n = 0; n < FA_BK / 8; ++n) {
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const int r = i >> 1;
                const float p = next[r] == NEG_INF ? 0.0f : exp2f(s[n][i] - next[r]);
                s[n][i] = p;
                rowSum[r] += p;
            }
        }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 1);
            rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 2);
            l[r] = l[r] * correction[r] + rowSum[r];
            m[r] = next[r];
        }
#pragma unroll
        for (int dn = 0; dn < D / 8; ++dn) {
            o[dn][0] *= correction[0]; o[dn][1] *= correction[0];
            o[dn][2] *= correction[1]; o[dn][3] *= correction[1];
        }
#pragma unroll
        for (int kc = 0; kc < FA_BK / 16; ++kc) {
            unsigned pa[4];
            pa[0] = pack2(s[2 * kc][0], s[2 * kc][1], half);
            pa[1] = pack2(s[2 * kc][2], s[2 * kc][3], half);
            pa[2] = pack2(s[2 * kc + 1][0], s[2 * kc + 1][1], half);
            pa[3] = pack2(s[2 * kc + 1][2], s[2 * kc + 1][3], half);
            // Matrices: keys kc·16 + 0..7 and + 8..15, at d columns dn·8 and (dn+1)·8.
            const int mi = lane >> 3, row = kc * 16 + (lane & 7) + 8 * (mi & 1);
#pragma unroll
            for (int dn = 0; dn < D / 8; dn += 2) {
                unsigned b0[2], b1[2];
                ldmatrix_x4_trans(shared_address(&vs[row][(dn + (mi >> 1)) * 8]), b0[0], b0[1], b1[0], b1[1]);
                mma16816(o[dn], pa, b0, half);
                mma16816(o[dn + 1], pa, b1, half);
            }
        }
    }
#pragma unroll
    for (int dn = 0; dn < D / 8; ++dn) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const i64 row = q0 + g + 8 * (i >> 1);
            const i64 col = dn * 8 + tig * 2 + (i & 1);
            if (row < a.queries) store((void *)a.out, b * a.ob + h * a.oh + row * a.ot + col, (int)a.tout, o[dn][i] / l[i >> 1]);
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) rf_flash_d64(AttentionArgs a, float scale, float lowest, int vec) {
    flash_tc<64>(a, scale, lowest, vec);
}
extern "C" __global__ void __launch_bounds__(256) rf_flash_d128(AttentionArgs a, float scale, float lowest, int vec) {
    flash_tc<128>(a, scale, lowest, vec);
}
