// Resampling of the last two axes of [planes, H, W] to [planes, OH, OW] with torch's
// "nearest", "bilinear" (align_corners=False) and "area" taps; one thread per output.

__device__ __forceinline__ int taps(int mode, i64 i, i64 n, i64 m, i64 *index, float *weight) {
    float scale = (float)n / (float)m;
    if (mode == 0) {
        i64 k = (i64)floorf((float)i * scale);
        index[0] = k < n - 1 ? k : n - 1; weight[0] = 1;
        return 1;
    }
    if (mode == 1) {
        float src = fmaxf(((float)i + 0.5f) * scale - 0.5f, 0.0f);
        i64 i0 = (i64)floorf(src); if (i0 > n - 1) i0 = n - 1;
        i64 i1 = i0 + 1 < n - 1 ? i0 + 1 : n - 1;
        float l1 = src - (float)i0;
        if (i1 == i0) { index[0] = i0; weight[0] = 1; return 1; }
        index[0] = i0; weight[0] = 1 - l1; index[1] = i1; weight[1] = l1;
        return 2;
    }
    return -1;  // area: handled by the caller
}

extern "C" __global__ void rf_interpolate(void *out, const void *x, i64 planes, i64 h, i64 w, i64 oh, i64 ow, int mode,
                                          int tin, int tout) {
    GRID_STRIDE(i, planes * oh * ow) {
        i64 ox = i % ow, rest = i / ow, oy = rest % oh, plane = rest / oh;
        const i64 base = plane * h * w;
        float acc = 0;
        if (mode == 2) {
            i64 y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
            i64 x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
            float wy = 1.0f / (float)(y1 - y0), wx = 1.0f / (float)(x1 - x0);
            for (i64 iy = y0; iy < y1; ++iy) {
                float row = 0;
                for (i64 ix = x0; ix < x1; ++ix) row += load(x, base + iy * w + ix, tin) * wx;
                acc += row * wy;
            }
        } else {
            i64 yi[2], xi[2];
            float yw[2], xw[2];
            int ny = taps(mode, oy, h, oh, yi, yw), nx = taps(mode, ox, w, ow, xi, xw);
            for (int a = 0; a < ny; ++a) {
                float row = 0;
                for (int b = 0; b < nx; ++b) row += load(x, base + yi[a] * w + xi[b], tin) * xw[b];
                acc += row * yw[a];
            }
        }
        store(out, i, tout, acc);
    }
}
