import CUDARuntime
import Tensors

/// Reductions, norms, RoPE and resampling (norms.cu, rope.cu, resample.cu).
extension CUDABackend {
    /// Blocks for a one-block-per-row kernel.
    func rowGrid(_ rows: Int) -> (Int, Int, Int) { (min(rows, context.gpu.multiprocessors * 16), 1, 1) }

    public func sum(_ x: Tensor, axis: Int) -> Tensor {
        let outer = x.shape[..<axis].reduce(1, *), n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        var shape = x.shape
        shape.remove(at: axis)
        let dtype = DType.result(of: [x])
        let out = empty(shape, dtype)
        context.launch(
            "rf_sum_axis", items: outer * inner,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(outer), .int64(n), .int64(inner), .int32(x.dtype.code),
             .int32(dtype.code)])
        return out
    }

    public func softmax(_ x: Tensor) -> Tensor {
        let n = x.shape.last ?? 1
        let rows = n == 0 ? 0 : x.count / n
        let dtype = DType.result(of: [x])
        let out = empty(x.shape, dtype)
        context.launch(
            "rf_softmax", grid: rowGrid(rows), block: 256,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(rows), .int64(n), .int32(x.dtype.code), .int32(dtype.code)])
        return out
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor {
        rowNorm(x, weight: weight, bias: nil, eps: eps, kind: 0)
    }

    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        rowNorm(x, weight: weight, bias: bias, eps: eps, kind: 1)
    }

    private func rowNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, kind: Int32) -> Tensor {
        let n = x.shape.last ?? 1
        let rows = n == 0 ? 0 : x.count / n
        let dtype = DType.result(of: [x] + [weight, bias].compactMap { $0 })
        if dtype == .bf16, let fast = vectorRowNorm(x, weight: weight, bias: bias, eps: eps, kind: kind) {
            return fast
        }
        let out = empty(x.shape, dtype)
        context.launch(
            "rf_rownorm", grid: rowGrid(rows), block: 256,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(weight)), .pointer(pointer(bias)), .int64(rows),
             .int64(n), .float(eps), .int32(x.dtype.code), .int32(weight?.dtype.code ?? 0), .int32(bias?.dtype.code ?? 0),
             .int32(dtype.code), .int32(kind)])
        return out
    }

    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let spatial = x.shape[2...].reduce(1, *)
        let dtype = DType.result(of: [x] + [weight, bias].compactMap { $0 })
        let out = empty(x.shape, dtype)
        context.launch(
            "rf_groupnorm", grid: rowGrid(batch * groups), block: 1024,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(weight)), .pointer(pointer(bias)), .int64(batch),
             .int64(channels), .int64(groups), .int64(spatial), .float(eps), .int32(x.dtype.code),
             .int32(weight?.dtype.code ?? 0), .int32(bias?.dtype.code ?? 0), .int32(dtype.code)])
        return out
    }

    public func pixelNorm(_ x: Tensor, eps: Float) -> Tensor {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let spatial = x.shape[2...].reduce(1, *)
        let dtype = DType.result(of: [x])
        let out = empty(x.shape, dtype)
        // bf16 with whole runs of 8 positions: 16-byte loads and stores (vectorized.cu).
        if dtype == .bf16, x.dtype == .bf16, spatial % 8 == 0, channels > 0, pointer(x) % 16 == 0, pointer(out) % 16 == 0 {
            context.launch(
                "rf_pixelnorm_bf16x8", grid: ((batch * spatial / 8 + 31) / 32, 1, 1), block: 256,
                [.pointer(pointer(out)), .pointer(pointer(x)), .int64(batch), .int64(channels), .int64(spatial), .float(eps)])
            return out
        }
        context.launch(
            "rf_pixelnorm", items: batch * spatial,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(batch), .int64(channels), .int64(spatial), .float(eps),
             .int32(x.dtype.code), .int32(dtype.code), .int32(dtype == .bf16 ? 1 : 0)])
        return out
    }

    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        let dtype = DType.result(of: [x, cos, sin])
        // The kernel reads both tables with one element type.
        let tableType = DType.promoted(cos.dtype, sin.dtype)
        let (c, s) = (converted(cos, tableType), converted(sin, tableType))
        let (b, t, width) = (x.shape[0], x.shape[1], x.shape[2])
        let tb = cos.shape[0]
        let out = empty(x.shape, dtype)
        let steps: Int32 = dtype == .bf16 ? 1 : 0
        switch layout {
        case .interleaved:
            context.launch(
                "rf_rope_interleaved", items: b * t * width / 2,
                [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(c)), .pointer(pointer(s)), .int64(b), .int64(t),
                 .int64(width), .int64(tb), .int32(x.dtype.code), .int32(tableType.code), .int32(dtype.code), .int32(steps)])
        case .split:
            let (heads, half) = (cos.shape[1], cos.shape[3])
            context.launch(
                "rf_rope_split", items: b * t * heads * half,
                [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(c)), .pointer(pointer(s)), .int64(b), .int64(t),
                 .int64(heads), .int64(half), .int64(tb), .int32(x.dtype.code), .int32(tableType.code), .int32(dtype.code),
                 .int32(steps)])
        }
        return out
    }

    public func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor {
        let (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let planes = x.shape.dropLast(2).reduce(1, *)
        let dtype = DType.result(of: [x])
        let out = empty(Array(x.shape.dropLast(2)) + size, dtype)
        let code: Int32 = switch mode {
        case .nearest: 0
        case .bilinear: 1
        case .area: 2
        }
        context.launch(
            "rf_interpolate", items: out.count,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(planes), .int64(h), .int64(w), .int64(size[0]),
             .int64(size[1]), .int32(code), .int32(x.dtype.code), .int32(dtype.code)])
        return out
    }
}
