// Element-wise kernels: dtype conversion, the unary functions, broadcast binary operations and
// the fused AdaLN family. Operands of any element type; results rounded once, except where a
// `steps` flag asks for torch's per-op bf16 rounding in a fused kernel.

extern "C" __global__ void rf_convert(void *out, const void *x, i64 n, int tin, int tout) {
    GRID_STRIDE(i, n) store(out, i, tout, load(x, i, tin));
}

// op: 0 exp, 1 sigmoid, 2 silu, 3 gelu (tanh approximation), 4 cos, 5 sin.
extern "C" __global__ void rf_unary(void *out, const void *x, i64 n, int tin, int tout, int op) {
    GRID_STRIDE(i, n) {
        float v = load(x, i, tin), r;
        switch (op) {
        case 0: r = expf(v); break;
        case 1: r = 1.0f / (1.0f + expf(-v)); break;
        case 2: r = v / (1.0f + expf(-v)); break;
        case 4: r = cosf(v); break;
        case 5: r = sinf(v); break;
        default: {
            float inner = 0.7978845608028654f * (v + 0.044715f * v * v * v);
            r = 0.5f * v * (1.0f + tanhf(inner));
        }
        }
        store(out, i, tout, r);
    }
}

// op: 0 add, 1 subtract, 2 multiply, 3 divide, 4 maximum (NaN propagates).
// Geometry: extents of the output; strideA/strideB of the operands (0 on broadcast axes).
extern "C" __global__ void rf_binary(void *out, const void *a, const void *b, Geometry g, i64 n, int ta, int tb, int tout, int op) {
    GRID_STRIDE(i, n) {
        i64 oa, ob, oc;
        offsets(g, i, oa, ob, oc);
        float x = load(a, oa, ta), y = load(b, ob, tb), r;
        switch (op) {
        case 0: r = x + y; break;
        case 1: r = x - y; break;
        case 2: r = x * y; break;
        case 3: r = x / y; break;
        default: r = (x != x || y != y) ? QNAN : fmaxf(x, y);
        }
        store(out, i, tout, r);
    }
}

// op 0: modulate x * (1 + a) + b; op 1: gated residual x + a * b. `x` is contiguous with the
// output's shape, `a` and `b` broadcast (strideA, strideB). steps: round after each op as
// torch's separate bf16 ops do.
extern "C" __global__ void rf_fused3(void *out, const void *x, const void *a, const void *b, Geometry g, i64 n,
                                     int tx, int ta, int tb, int tout, int op, int steps) {
    GRID_STRIDE(i, n) {
        i64 oa, ob, oc;
        offsets(g, i, oa, ob, oc);
        float v = load(x, i, tx), p = load(a, oa, ta), q = load(b, ob, tb), r;
        int s = steps ? tout : 0;
        if (op == 0) r = round_to(round_to(v * round_to(1.0f + p, s), s) + q, s);
        else r = round_to(v + round_to(p * q, s), s);
        store(out, i, tout, r);
    }
}
