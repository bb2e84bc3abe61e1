import CCUDA
import CUDARuntime
import Tensors

/// 3D convolution: cuDNN's where it is loaded and takes the shape, else im2col (convolution.cu)
/// plus cuBLASLt GEMMs. Both keep bf16 and float16 on the tensor cores with float32
/// accumulation; float32 runs without TF32 in both.
extension CUDABackend {
    public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
        let dtype = gemmType([x, weight] + [bias].compactMap { $0 })
        let (xc, wc) = (converted(x, dtype), converted(weight, dtype))
        if let out = cudnnConv3d(xc, weight: wc, bias: bias, stride: stride, padding: padding) { return out }
        return im2colConv3d(xc, weight: wc, bias: bias, stride: stride, padding: padding)
    }

    /// cuDNN's convolution, or nil where cuDNN is missing or has no algorithm for this one.
    /// cuDNN pads with zeros, evenly: other padding (the VAE's replicated frames) is copied
    /// into a padded input first, as ltx-core's `CausalConv3d` does with `torch.cat`. The bias
    /// is added in place after the convolution has rounded to the dtype, as torch's cuDNN path
    /// does (`output.add_(bias)`), so bf16 rounds twice there where the CPU backend rounds once.
    private func cudnnConv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor? {
        guard context.dnn != nil, !padding.contains(where: { $0.mode == .reflect && ($0.before > 0 || $0.after > 0) }) else {
            return nil
        }
        // Axes cuDNN pads itself, and the input's shape once the others are padded by copies.
        var even = [0, 0, 0], paddedShape = x.shape
        for (axis, p) in padding.enumerated() where p.before > 0 || p.after > 0 {
            if p.mode == .zeros && p.before == p.after { even[axis] = p.before } else { paddedShape[axis + 2] += p.before + p.after }
        }
        // The channel transposes run one frame of one item per grid row (at most 65535).
        let frames = paddedShape[2] + even[0] * 2
        let channelsLast = context.convolutionChannelsLast && x.shape[0] * frames <= 65_535
            && weight.shape[0] * weight.shape[2] <= 65_535
        let convolution = CUDNN.Convolution(
            input: paddedShape, weight: weight.shape, padding: even, stride: stride, type: blasType(x.dtype),
            channelsLast: channelsLast)
        guard x.count > 0, weight.count > 0, let plan = context.convolutionPlan(convolution) else { return nil }
        let outShape = convolution.output
        guard outShape.reduce(1, *) > 0 else { return empty(outShape, x.dtype) }
        let workspace = CUDAStorage(bytes: plan.workspaceBytes, context: context)
        let bias = bias.map { converted($0, x.dtype) }
        guard channelsLast else {
            let input = copyPadded(x, padding, even: even, fromAxis: 0)
            let out = empty(outShape, x.dtype)
            context.convolve(plan, x: pointer(input), w: pointer(weight), y: pointer(out), workspace: workspace.pointer)
            withExtendedLifetime((input, workspace)) {}
            if let bias {
                strided(
                    out, bias, Geometry(extents: out.shape, a: Tensor.strides(of: out.shape), b: [0, 1, 0, 0, 0]),
                    accumulate: true)
            }
            return out
        }
        // Channels-last: the input and the weights are transposed to NDHWC by tiled kernels, the
        // time padding done in the same pass; the result is transposed back with the bias added.
        // Each copy is released as soon as it is used, so the peak holds the caller's input, one
        // NDHWC operand and the result, as the channels-first path holds its padded copy.
        let outLast: Tensor = {
            let input = copyPadded(x, padding, even: even, fromAxis: 1)
            let time = even[0] == 0 ? padding.first : nil  // what cuDNN does not pad, the transpose does
            let xs = channelsLastCopy(
                input, before: time?.before ?? 0, after: time?.after ?? 0, replicate: time?.mode == .replicate)
            let ws = channelsLastCopy(weight, before: 0, after: 0, replicate: false)
            let out = empty([outShape[0], outShape[2], outShape[3], outShape[4], outShape[1]], x.dtype)
            context.convolve(plan, x: pointer(xs), w: pointer(ws), y: pointer(out), workspace: workspace.pointer)
            withExtendedLifetime((xs, ws, workspace)) {}
            return out
        }()
        return channelsFirstCopy(outLast, bias: bias)
    }

    /// `[N, C, D, spatial...]` as `[N, D + before + after, spatial..., C]`: output frame t holds
    /// input frame `t - before`, clamped to the input's frames with `replicate`, zeros outside
    /// them otherwise (rf_to_channels_last).
    private func channelsLastCopy(_ x: Tensor, before: Int, after: Int, replicate: Bool) -> Tensor {
        let (n, c, d) = (x.shape[0], x.shape[1], x.shape[2]), spatial = Array(x.shape.dropFirst(3))
        let s = spatial.reduce(1, *), dOut = d + before + after
        let out = empty([n, dOut] + spatial + [c], x.dtype)
        context.launch(
            "rf_to_channels_last", grid: ((s + 31) / 32, (c + 31) / 32, n * dOut), block: 256,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(c), .int64(d), .int64(s), .int64(dOut), .int64(before),
             .int32(replicate ? 1 : 0), .int32(x.dtype.code)])
        return out
    }

    /// `[N, D, spatial..., C]` as `[N, C, D, spatial...]`, plus `bias[C]` when given
    /// (rf_to_channels_first).
    private func channelsFirstCopy(_ x: Tensor, bias: Tensor?) -> Tensor {
        let (n, d, c) = (x.shape[0], x.shape[1], x.shape[x.rank - 1]), spatial = Array(x.shape.dropFirst(2).dropLast())
        let s = spatial.reduce(1, *)
        let out = empty([n, c, d] + spatial, x.dtype)
        context.launch(
            "rf_to_channels_first", grid: ((s + 31) / 32, (c + 31) / 32, n * d), block: 256,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(bias.map { pointer($0) } ?? 0), .int64(c), .int64(d),
             .int64(s), .int32(x.dtype.code)])
        withExtendedLifetime(bias) {}
        return out
    }

    /// `x` with the padding of spatial axes `fromAxis...` that cuDNN does not do itself (`even`
    /// 0 there) copied in.
    private func copyPadded(_ x: Tensor, _ padding: [AxisPadding], even: [Int], fromAxis: Int) -> Tensor {
        var input = x
        for (axis, p) in padding.enumerated().dropFirst(fromAxis) where (p.before > 0 || p.after > 0) && even[axis] == 0 {
            input = padded(input, axis: axis + 2, p)
        }
        return input
    }

    /// `x` padded along `axis` by `p` (zeros, or copies of the edge slices for replicate).
    private func padded(_ x: Tensor, axis: Int, _ p: AxisPadding) -> Tensor {
        var shape = x.shape
        shape[axis] += p.before + p.after
        let out = p.mode == .zeros ? zeros(shape, x.dtype) : empty(shape, x.dtype)
        let to = Tensor.strides(of: shape), from = Tensor.strides(of: x.shape)
        var middle = Geometry(extents: x.shape, a: to, b: from)
        middle.offsetA = p.before * to[axis]
        strided(out, x, middle)
        guard p.mode == .replicate else { return out }
        var edge = from
        edge[axis] = 0
        for (count, at, source) in [(p.before, 0, 0), (p.after, p.before + x.shape[axis], x.shape[axis] - 1)] where count > 0 {
            var extents = x.shape
            extents[axis] = count
            var g = Geometry(extents: extents, a: to, b: edge)
            (g.offsetA, g.offsetB) = (at * to[axis], source * from[axis])
            strided(out, x, g)
        }
        return out
    }

    /// im2col into column chunks of at most 256 MiB, one cuBLASLt GEMM per chunk.
    private func im2colConv3d(_ xc: Tensor, weight wc: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
        let dtype = xc.dtype
        let (batch, cin, f, h, w) = (xc.shape[0], xc.shape[1], xc.shape[2], xc.shape[3], xc.shape[4])
        let (cout, kt, kh, kw) = (wc.shape[0], wc.shape[2], wc.shape[3], wc.shape[4])
        let inExtents = [f, h, w], kernel = [kt, kh, kw]
        let outExtents = (0..<3).map { (inExtents[$0] + padding[$0].before + padding[$0].after - kernel[$0]) / stride[$0] + 1 }
        // The GEMM writes float32 so that the bias is added before the one rounding to
        // `dtype`, as the CPU backend (and torch's CPU convolution) round once.
        var out = empty([batch, cout] + outExtents, .f32)
        let positions = outExtents.reduce(1, *), rows = cin * kt * kh * kw
        guard batch > 0 && cout > 0 && positions > 0 else { return converted(out, dtype) }
        let chunk = max(1, min(positions, (256 << 20) / max(1, rows * dtype.byteSize)))
        let col = CUDAStorage(bytes: rows * chunk * dtype.byteSize, context: context)
        func mode(_ p: AxisPadding) -> Int {
            switch p.mode {
            case .zeros: 0
            case .reflect: 1
            case .replicate: 2
            }
        }
        for item in 0..<batch {
            var first = 0
            while first < positions {
                let count = min(chunk, positions - first)
                let args = [cin, f, h, w, kt, kh, kw] + stride + padding.map(\.before) + padding.map(mode) + outExtents
                    + [first, count]
                context.launch(
                    "rf_im2col", items: rows * count,
                    [.pointer(col.pointer), .pointer(offset(pointer(xc), item * cin * f * h * w, dtype)),
                     .words(args.map { Int64($0) }), .int32(dtype.code), .int32(dtype.code)])
                var gemm = CUBLASLt.GEMM(
                    m: cout, n: count, k: rows, a: pointer(wc), lda: rows, transposeA: false, b: col.pointer, ldb: count,
                    transposeB: false, d: offset(pointer(out), item * cout * positions + first, .f32), ldd: positions,
                    type: blasType(dtype))
                gemm.outType = .f32
                context.gemm(gemm)
                first += count
            }
        }
        withExtendedLifetime(col) {}
        if let bias {
            out = binary(.add, out, converted(bias, .f32).reshaped([1, cout, 1, 1, 1]))
        }
        return converted(out, dtype)
    }
}
