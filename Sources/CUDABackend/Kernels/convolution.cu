// 3D convolution as im2col + one cuBLASLt GEMM per chunk of output positions. This kernel
// writes the column matrix col[K, count] (K = Cin·kt·kh·kw, row-major) for output positions
// [first, first + count) of one batch item, applying each axis's padding mode.

struct ConvArgs {
    i64 channels, f, h, w;           // input extents (one batch item)
    i64 kt, kh, kw;                  // kernel extents
    i64 st, sh, sw;                  // strides
    i64 pt, ph, pw;                  // padding before
    i64 modeT, modeH, modeW;         // 0 zeros, 1 reflect, 2 replicate
    i64 of, oh, ow;                  // output extents
    i64 first, count;                // output positions of this chunk
};

// The source index for padded coordinate `i` of an axis of extent n, or -1 for a zero.
__device__ __forceinline__ i64 padded(i64 i, i64 n, i64 mode) {
    if (i >= 0 && i < n) return i;
    if (mode == 0) return -1;
    if (mode == 2) return i < 0 ? 0 : n - 1;
    return i < 0 ? -i : 2 * (n - 1) - i;
}

extern "C" __global__ void rf_im2col(void *col, const void *x, ConvArgs a, int tin, int tcol) {
    const i64 taps = a.kt * a.kh * a.kw, rows = a.channels * taps;
    GRID_STRIDE(e, rows * a.count) {
        i64 row = e / a.count, p = a.first + (e - row * a.count);
        i64 c = row / taps, t = row - c * taps;
        i64 dt = t / (a.kh * a.kw), rest = t - dt * a.kh * a.kw, dh = rest / a.kw, dw = rest - dh * a.kw;
        i64 ox = p % a.ow, r2 = p / a.ow, oy = r2 % a.oh, of = r2 / a.oh;
        i64 fi = padded(of * a.st + dt - a.pt, a.f, a.modeT);
        i64 hi = padded(oy * a.sh + dh - a.ph, a.h, a.modeH);
        i64 wi = padded(ox * a.sw + dw - a.pw, a.w, a.modeW);
        float v = (fi < 0 || hi < 0 || wi < 0) ? 0.0f : load(x, ((c * a.f + fi) * a.h + hi) * a.w + wi, tin);
        store(col, e, tcol, v);
    }
}
