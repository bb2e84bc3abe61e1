// Shared by every CUDA kernel of the Reelflow CUDA backend. Compiled by NVRTC at run time, so
// no CUDA headers are included: bf16 and fp16 conversions are written out here.
//
// Element types travel as codes (ReelflowCUDA's ElementCode): 0 float32, 1 bfloat16,
// 2 float16, 3 fp8 e4m3 (fn), 4 fp8 e5m2. Kernels load any of them as float32, compute in
// float32 and store the result type, rounding once (round to nearest even).

typedef long long i64;
#define NEG_INF __int_as_float(0xff800000)
#define QNAN __int_as_float(0x7fc00000)

// Shapes and strides passed by value: up to 8 axes.
struct Geometry {
    i64 rank;
    i64 extent[8];
    i64 strideA[8];
    i64 strideB[8];
    i64 strideC[8];
    i64 offsetA, offsetB, offsetC;
};

__device__ __forceinline__ float bf16_to_float(unsigned short h) { return __uint_as_float(((unsigned)h) << 16); }

__device__ __forceinline__ unsigned short float_to_bf16(float f) {
    unsigned u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

__device__ __forceinline__ float half_to_float(unsigned short h) {
    float f;
    asm("{ .reg .b16 t; mov.b16 t, %1; cvt.f32.f16 %0, t; }" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ unsigned short float_to_half(float f) {
    unsigned short h;
    asm("{ .reg .b16 t; cvt.rn.f16.f32 t, %1; mov.b16 %0, t; }" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ float e4m3_to_float(unsigned char v) {
    int sign = v >> 7, e = (v >> 3) & 15, m = v & 7;
    float r;
    if (e == 15 && m == 7) r = QNAN;
    else if (e == 0) r = ldexpf((float)m, -9);
    else r = ldexpf(1.0f + m / 8.0f, e - 7);
    return sign ? -r : r;
}

__device__ __forceinline__ float e5m2_to_float(unsigned char v) { return half_to_float((unsigned short)v << 8); }

__device__ __forceinline__ float load(const void *p, i64 i, int type) {
    switch (type) {
    case 0: return ((const float *)p)[i];
    case 1: return bf16_to_float(((const unsigned short *)p)[i]);
    case 2: return half_to_float(((const unsigned short *)p)[i]);
    case 3: return e4m3_to_float(((const unsigned char *)p)[i]);
    default: return e5m2_to_float(((const unsigned char *)p)[i]);
    }
}

// Rounds to the storage type and back (what a separate torch op in that dtype would give).
__device__ __forceinline__ float round_to(float v, int type) {
    switch (type) {
    case 1: return bf16_to_float(float_to_bf16(v));
    case 2: return half_to_float(float_to_half(v));
    default: return v;
    }
}

__device__ __forceinline__ void store(void *p, i64 i, int type, float v) {
    switch (type) {
    case 0: ((float *)p)[i] = v; break;
    case 1: ((unsigned short *)p)[i] = float_to_bf16(v); break;
    default: ((unsigned short *)p)[i] = float_to_half(v); break;
    }
}

// Offsets of the three operands of element `index` of a Geometry's iteration space. Indices
// below 2^32 are split by 32-bit division (64-bit division is a long software routine on the
// GPU, and it ran once per axis per element).
__device__ __forceinline__ void offsets(const Geometry &g, i64 index, i64 &a, i64 &b, i64 &c) {
    a = g.offsetA; b = g.offsetB; c = g.offsetC;
    if (g.rank == 1) {
        a += index * g.strideA[0]; b += index * g.strideB[0]; c += index * g.strideC[0];
        return;
    }
    if (index <= 0xffffffffLL) {
        unsigned rest = (unsigned)index;
        for (int axis = (int)g.rank - 1; axis >= 0; --axis) {
            // An extent of 2^32 or more holds every index below 2^32 whole.
            const bool wide = g.extent[axis] > 0xffffffffLL;
            unsigned e = (unsigned)g.extent[axis];
            unsigned q = wide ? 0u : rest / e, r = wide ? rest : rest - q * e;
            a += (i64)r * g.strideA[axis]; b += (i64)r * g.strideB[axis]; c += (i64)r * g.strideC[axis];
            rest = q;
        }
        return;
    }
    for (int axis = (int)g.rank - 1; axis >= 0; --axis) {
        i64 e = g.extent[axis];
        i64 q = index / e, r = index - q * e;
        a += r * g.strideA[axis]; b += r * g.strideB[axis]; c += r * g.strideC[axis];
        index = q;
    }
}

#define GRID_STRIDE(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// Sum of `v` over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ __forceinline__ float block_sum(float v, float *scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = 0;
    for (int w = 0; w < warps; ++w) t += scratch[w];
    return t;
}

__device__ __forceinline__ float block_max(float v, float *scratch) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = NEG_INF;
    for (int w = 0; w < warps; ++w) t = fmaxf(t, scratch[w]);
    return t;
}
