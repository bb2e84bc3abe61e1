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
