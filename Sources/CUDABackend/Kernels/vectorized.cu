// bf16 fast paths of the element-wise and row-norm families: every operand and the result
// bf16, each thread moving 8 elements (16 bytes) per load and store. The arithmetic is the
// generic kernels' (float32, one rounding, or torch's per-op rounding where `steps` asks), so
// results are bit for bit those of rf_binary / rf_fused3 / rf_unary; only the row norms sum in
// another (still fixed) order.
//
// An operand's element for output index i is at (i / r) % p: r = 1, p = 0 (no wrap) for an
// operand of the output's shape; r = 1, p = D for a row vector broadcast over rows of D; r = D for one value per
// row of D. The host picks these kernels only where every operand has r == 1 and p % 8 == 0 (8
// contiguous elements) or r % 8 == 0 (one value for all 8), n % 8 == 0, n < 2^31, and every
// pointer 16-byte aligned; indices are 32-bit.

struct Pattern {
    i64 r, p;  // p 0: no wrap (the operand has the output's shape, or is one value)
};

__device__ __forceinline__ void unpack8(uint4 w, float v[8]) {
    const unsigned words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        v[2 * k] = __uint_as_float(words[k] << 16);
        v[2 * k + 1] = __uint_as_float(words[k] & 0xffff0000u);
    }
}

__device__ __forceinline__ uint4 pack8(const float v[8]) {
    unsigned words[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) words[k] = (unsigned)float_to_bf16(v[2 * k]) | ((unsigned)float_to_bf16(v[2 * k + 1]) << 16);
    return make_uint4(words[0], words[1], words[2], words[3]);
}

// The 8 values of operand `x` for output indices i..i+7 (i a multiple of 8).
__device__ __forceinline__ void load8(const unsigned short *x, unsigned i, Pattern pat, float v[8]) {
    const unsigned r = (unsigned)pat.r, p = (unsigned)pat.p;
    if (r == 1) {
        unpack8(*(const uint4 *)(x + (p == 0 ? i : i % p)), v);
    } else {
        const unsigned o = i / r;
        const float s = bf16_to_float(x[p == 0 ? o : o % p]);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = s;
    }
}

#define GRID_STRIDE8(i, n) for (unsigned i = (blockIdx.x * blockDim.x + threadIdx.x) * 8u; i < (n); i += gridDim.x * blockDim.x * 8u)

// op as rf_binary: 0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum.
extern "C" __global__ void rf_binary_bf16x8(unsigned short *out, const unsigned short *a, const unsigned short *b, unsigned n,
                                            Pattern pa, Pattern pb, int op) {
    GRID_STRIDE8(i, n) {
        float x[8], y[8], r[8];
        load8(a, i, pa, x);
        load8(b, i, pb, y);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            switch (op) {
            case 0: r[k] = x[k] + y[k]; break;
            case 1: r[k] = x[k] - y[k]; break;
            case 2: r[k] = x[k] * y[k]; break;
            case 3: r[k] = x[k] / y[k]; break;
            default: r[k] = (x[k] != x[k] || y[k] != y[k]) ? QNAN : fmaxf(x[k], y[k]);
            }
        }
        *(uint4 *)(out + i) = pack8(r);
    }
}

// As rf_fused3 with bf16 steps: op 0 modulate x * (1 + a) + b, op 1 gated residual x + a * b;
// `x` has the output's shape.
extern "C" __global__ void rf_fused3_bf16x8(unsigned short *out, const unsigned short *x, const unsigned short *a,
                                            const unsigned short *b, unsigned n, Pattern pa, Pattern pb, int op) {
    GRID_STRIDE8(i, n) {
        float v[8], p[8], q[8], r[8];
        unpack8(*(const uint4 *)(x + i), v);
        load8(a, i, pa, p);
        load8(b, i, pb, q);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            if (op == 0) r[k] = round_to(round_to(v[k] * round_to(1.0f + p[k], 1), 1) + q[k], 1);
            else r[k] = v[k] + round_to(p[k] * q[k], 1);
        }
        *(uint4 *)(out + i) = pack8(r);
    }
}

// As rf_unary (op 0 exp, 1 sigmoid, 2 silu, 3 gelu tanh, 4 cos, 5 sin).
extern "C" __global__ void rf_unary_bf16x8(unsigned short *out, const unsigned short *x, unsigned n, int op) {
    GRID_STRIDE8(i, n) {
        float v[8], r[8];
        unpack8(*(const uint4 *)(x + i), v);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const float t = v[k];
            switch (op) {
            case 0: r[k] = expf(t); break;
            case 1: r[k] = 1.0f / (1.0f + expf(-t)); break;
            case 2: r[k] = t / (1.0f + expf(-t)); break;
            case 4: r[k] = cosf(t); break;
            case 5: r[k] = sinf(t); break;
            default: {
                float inner = 0.7978845608028654f * (t + 0.044715f * t * t * t);
                r[k] = 0.5f * t * (1.0f + tanhf(inner));
            }
            }
        }
        *(uint4 *)(out + i) = pack8(r);
    }
}

// Row norms of bf16 rows of n = 8 * 256 * k elements at most (k <= ROW_CHUNKS), one block of 256
// threads per row: the row is read once into registers. kind 0 RMSNorm, 1 LayerNorm (as
// rf_rownorm); w and b bf16 or null.
#define ROW_CHUNKS 4
extern "C" __global__ void __launch_bounds__(256) rf_rownorm_bf16x8(unsigned short *out, const unsigned short *x,
                                                                   const unsigned short *w, const unsigned short *b,
                                                                   unsigned rows, unsigned n, float eps, int kind) {
    __shared__ float scratch[32];
    for (unsigned row = blockIdx.x; row < rows; row += gridDim.x) {
        const unsigned short *src = x + (size_t)row * n;
        float v[ROW_CHUNKS][8];
        float s = 0;
#pragma unroll
        for (int c = 0; c < ROW_CHUNKS; ++c) {
            const unsigned j = (c * 256 + threadIdx.x) * 8;
            if (j < n) {
                unpack8(*(const uint4 *)(src + j), v[c]);
                for (int k = 0; k < 8; ++k) s += v[c][k];
            }
        }
        float mean = 0;
        if (kind == 1) mean = block_sum(s, scratch) / (float)n;
        float s2 = 0;
#pragma unroll
        for (int c = 0; c < ROW_CHUNKS; ++c) {
            const unsigned j = (c * 256 + threadIdx.x) * 8;
            if (j < n)
                for (int k = 0; k < 8; ++k) {
                    const float d = v[c][k] - mean;
                    s2 += d * d;
                }
        }
        const float inv = 1.0f / sqrtf(block_sum(s2, scratch) / (float)n + eps);
#pragma unroll
        for (int c = 0; c < ROW_CHUNKS; ++c) {
            const unsigned j = (c * 256 + threadIdx.x) * 8;
            if (j >= n) continue;
            float r[8], g[8], h[8];
            if (w) unpack8(*(const uint4 *)(w + j), g);
            if (b) unpack8(*(const uint4 *)(b + j), h);
            for (int k = 0; k < 8; ++k) {
                float t = (v[c][k] - mean) * inv;
                if (w) t *= g[k];
                if (b) t += h[k];
                r[k] = t;
            }
            *(uint4 *)(out + (size_t)row * n + j) = pack8(r);
        }
    }
}

// rf_pixelnorm for bf16 in and out (torch's per-op roundings: x² rounded, the mean rounded,
// + eps rounded, the root rounded, the quotient rounded once). A block of 256 threads takes 32
// runs of 8 adjacent positions (lane = run, so a warp's channel read is one 512-byte span of
// 16-byte loads) and its 8 warps split the channels (c = warp, warp + 8, ...): a small VAE
// tile has few positions and a thousand channels, which one thread per run walked alone. The
// warps' partial sums are added in warp order, so results do not depend on the launch.
// Launched with ceil(batch * spatial / 8 / 32) blocks. Needs spatial % 8 == 0 and 16-byte
// aligned pointers; positions are counted in 64 bits, channel offsets too.
extern "C" __global__ void rf_pixelnorm_bf16x8(unsigned short *out, const unsigned short *x, i64 batch, i64 channels,
                                               i64 spatial, float eps) {
    __shared__ float partial[8][32][8];
    __shared__ float root[32][8];
    const int bf16 = 1, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const i64 groups = spatial / 8, g = (i64)blockIdx.x * 32 + lane;
    const bool active = g < batch * groups;
    i64 base = 0;
    if (active) {
        const i64 bi = g / groups;
        base = bi * channels * spatial + (g - bi * groups) * 8;
    }
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, v[8];
    if (active) {
        for (i64 c = warp; c < channels; c += 8) {
            unpack8(*(const uint4 *)(x + base + c * spatial), v);
#pragma unroll
            for (int k = 0; k < 8; ++k) acc[k] += round_to(v[k] * v[k], bf16);
        }
    }
#pragma unroll
    for (int k = 0; k < 8; ++k) partial[warp][lane][k] = acc[k];
    __syncthreads();
    if (warp == 0) {
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            float sum = 0;
            for (int w = 0; w < 8; ++w) sum += partial[w][lane][k];
            root[lane][k] = round_to(sqrtf(round_to(round_to(sum / (float)channels, bf16) + eps, bf16)), bf16);
        }
    }
    __syncthreads();
    if (!active) return;
    for (i64 c = warp; c < channels; c += 8) {
        unpack8(*(const uint4 *)(x + base + c * spatial), v);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = v[k] / root[lane][k];
        *(uint4 *)(out + base + c * spatial) = pack8(v);
    }
}
