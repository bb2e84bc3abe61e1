// Reductions and norms. Row kernels run one block per row (a grid-stride loop over rows);
// every sum is taken in a fixed order, so results do not depend on the launch.

extern "C" __global__ void rf_softmax(void *out, const void *x, i64 rows, i64 n, int tin, int tout) {
    __shared__ float scratch[32];
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        i64 base = row * n;
        float m = NEG_INF;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, load(x, base + j, tin));
        m = block_max(m, scratch);
        float s = 0;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += expf(load(x, base + j, tin) - m);
        s = block_sum(s, scratch);
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) store(out, base + j, tout, expf(load(x, base + j, tin) - m) / s);
    }
}

// kind 0: RMSNorm  x / sqrt(mean(x²) + eps) · w;  kind 1: LayerNorm  (x − mean) / sqrt(var + eps) · w + b.
// w and b may be null.
extern "C" __global__ void rf_rownorm(void *out, const void *x, const void *w, const void *b, i64 rows, i64 n, float eps,
                                      int tin, int tw, int tb, int tout, int kind) {
    __shared__ float scratch[32];
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        i64 base = row * n;
        float mean = 0;
        if (kind == 1) {
            float s = 0;
            for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += load(x, base + j, tin);
            mean = block_sum(s, scratch) / (float)n;
        }
        float s2 = 0;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
            float v = load(x, base + j, tin) - mean;
            s2 += v * v;
        }
        float inv = 1.0f / sqrtf(block_sum(s2, scratch) / (float)n + eps);
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
            float v = (load(x, base + j, tin) - mean) * inv;
            if (w) v *= load(w, j, tw);
            if (b) v += load(b, j, tb);
            store(out, base + j, tout, v);
        }
    }
}

// Sum over the middle axis of [outer, n, inner]; one thread per output element.
extern "C" __global__ void rf_sum_axis(void *out, const void *x, i64 outer, i64 n, i64 inner, int tin, int tout) {
    GRID_STRIDE(i, outer * inner) {
        i64 o = i / inner, r = i - o * inner;
        const i64 base = o * n * inner + r;
        float s = 0;
        for (i64 j = 0; j < n; ++j) s += load(x, base + j * inner, tin);
        store(out, i, tout, s);
    }
}

// GroupNorm of [B, C, spatial]: one block per (batch, group), whose channels are contiguous.
extern "C" __global__ void rf_groupnorm(void *out, const void *x, const void *w, const void *b, i64 batch, i64 channels,
                                        i64 groups, i64 spatial, float eps, int tin, int tw, int tb, int tout) {
    __shared__ float scratch[32];
    const i64 per = channels / groups, size = per * spatial;
    for (i64 item = blockIdx.x; item < batch * groups; item += gridDim.x) {
        const i64 base = item * size, g = item % groups;
        float s = 0;
        for (i64 j = threadIdx.x; j < size; j += blockDim.x) s += load(x, base + j, tin);
        const float mean = block_sum(s, scratch) / (float)size;
        float s2 = 0;
        for (i64 j = threadIdx.x; j < size; j += blockDim.x) {
            float v = load(x, base + j, tin) - mean;
            s2 += v * v;
        }
        const float inv = 1.0f / sqrtf(block_sum(s2, scratch) / (float)size + eps);
        for (i64 j = threadIdx.x; j < size; j += blockDim.x) {
            i64 c = g * per + j / spatial;
            float v = (load(x, base + j, tin) - mean) * inv;
            if (w) v *= load(w, c, tw);
            if (b) v += load(b, c, tb);
            store(out, base + j, tout, v);
        }
    }
}

// ltx-core's PixelNorm over channels of [B, C, spatial]: x / sqrt(mean_c(x²) + eps); with
// `steps` each torch op rounds to the result type.
extern "C" __global__ void rf_pixelnorm(void *out, const void *x, i64 batch, i64 channels, i64 spatial, float eps,
                                        int tin, int tout, int steps) {
    const int s = steps ? tout : 0;
    GRID_STRIDE(i, batch * spatial) {
        i64 bi = i / spatial, p = i - bi * spatial, base = bi * channels * spatial + p;
        float acc = 0;
        for (i64 c = 0; c < channels; ++c) {
            float v = load(x, base + c * spatial, tin);
            acc += round_to(v * v, s);
        }
        float rms = round_to(sqrtf(round_to(round_to(acc / (float)channels, s) + eps, s)), s);
        for (i64 c = 0; c < channels; ++c) store(out, base + c * spatial, tout, load(x, base + c * spatial, tin) / rms);
    }
}
