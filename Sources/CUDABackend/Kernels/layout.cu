// Layout kernels: one strided copy covers permute, slice, concat, the space/depth shuffles and
// tiled accumulation (`accumulate`: dst += src, rounded once to dst's type).
// Geometry: iteration extents; strideA/offsetA address dst, strideB/offsetB address src.

extern "C" __global__ void rf_copy(void *dst, const void *src, Geometry g, i64 n, int tdst, int tsrc, int accumulate) {
    GRID_STRIDE(i, n) {
        i64 od, os, unused;
        offsets(g, i, od, os, unused);
        float v = load(src, os, tsrc);
        if (accumulate) v = load(dst, od, tdst) + v;
        store(dst, od, tdst, v);
    }
}

// Writes up to 256 bytes passed by value: small host tensors (scalars, tables of a few
// values) reach the device without a copy from pageable memory, which would wait for the stream.
struct SmallBytes { unsigned char b[256]; };

extern "C" __global__ void rf_put(unsigned char *dst, SmallBytes s, i64 n) {
    GRID_STRIDE(i, n) dst[i] = s.b[i];
}

// Channel transposes around cuDNN's channels-last convolutions, through 32 x 32 tiles in shared
// memory so both the reads and the writes are coalesced (the strided rf_copy is not, and took
// two thirds of a channels-last VAE decode). Grid: (ceil(S/32), ceil(C/32), N * frames out),
// blocks of 256 threads as 8 rows of 32.
//
// rf_to_channels_last: [N, C, D, S] -> [N, Dout, S, C] (S: the spatial positions). Output frame
// t reads input frame t - before: clamped to [0, D) with `replicate` (the causal time padding of
// ltx-core's CausalConv3d, done in the same pass), zeros outside it otherwise.
extern "C" __global__ void rf_to_channels_last(
    void *dst, const void *src, i64 C, i64 D, i64 S, i64 Dout, i64 before, int replicate, int type) {
    __shared__ float tile[32][33];
    const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
    const i64 n = blockIdx.z / Dout, t = blockIdx.z % Dout;
    i64 frame = t - before;
    bool inside = frame >= 0 && frame < D;
    if (replicate) { frame = frame < 0 ? 0 : (frame >= D ? D - 1 : frame); inside = true; }
    const i64 s0 = (i64)blockIdx.x * 32, c0 = (i64)blockIdx.y * 32;
    for (int j = ty; j < 32; j += 8) {
        const i64 c = c0 + j, s = s0 + tx;
        if (c < C && s < S) tile[j][tx] = inside ? load(src, ((n * C + c) * D + frame) * S + s, type) : 0.0f;
    }
    __syncthreads();
    for (int j = ty; j < 32; j += 8) {
        const i64 s = s0 + j, c = c0 + tx;
        if (s < S && c < C) store(dst, ((n * Dout + t) * S + s) * C + c, type, tile[tx][j]);
    }
}

// rf_to_channels_first: [N, D, S, C] -> [N, C, D, S], adding bias[c] when `bias` is not null
// (in float32 and rounded once to the type, as the in-place bias add of rf_copy does).
extern "C" __global__ void rf_to_channels_first(
    void *dst, const void *src, const void *bias, i64 C, i64 D, i64 S, int type) {
    __shared__ float tile[32][33];
    const int tx = threadIdx.x & 31, ty = threadIdx.x >> 5;
    const i64 n = blockIdx.z / D, frame = blockIdx.z % D;
    const i64 s0 = (i64)blockIdx.x * 32, c0 = (i64)blockIdx.y * 32;
    for (int j = ty; j < 32; j += 8) {
        const i64 s = s0 + j, c = c0 + tx;
        if (s < S && c < C) tile[j][tx] = load(src, (blockIdx.z * S + s) * C + c, type);
    }
    __syncthreads();
    for (int j = ty; j < 32; j += 8) {
        const i64 c = c0 + j, s = s0 + tx;
        if (c < C && s < S) {
            float v = tile[tx][j];
            if (bias) v += load(bias, c, type);
            store(dst, ((n * C + c) * D + frame) * S + s, type, v);
        }
    }
}
