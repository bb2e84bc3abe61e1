/// im2col + GEMM convolution shared by `conv3d`, `causalConv3d` and `conv2d`.
enum Convolution {
    /// Target size of one im2col buffer.
    static let columnBudgetBytes = 32 << 20

    static func run(
        input: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding],
        columnBudgetBytes: Int = columnBudgetBytes
    ) -> Tensor {
        let (batch, cin) = (input.shape[0], input.shape[1])
        let inExtents = [input.shape[2], input.shape[3], input.shape[4]]
        let cout = weight.shape[0]
        let kernel = [weight.shape[2], weight.shape[3], weight.shape[4]]
        precondition(
            weight.shape[1] == cin,
            "convolution: input \(input.shape) has \(cin) channels, weight \(weight.shape) expects \(weight.shape[1])")
        if let bias { precondition(bias.shape == [cout], "convolution bias must be [\(cout)], got \(bias.shape)") }
        precondition(stride.allSatisfy { $0 > 0 }, "convolution strides must be positive, got \(stride)")
        var outExtents = [Int](repeating: 0, count: 3)
        for axis in 0..<3 {
            let padded = inExtents[axis] + padding[axis].before + padding[axis].after
            precondition(
                padded >= kernel[axis],
                "convolution: axis \(axis) of \(input.shape) padded to \(padded) is shorter than kernel \(kernel[axis])")
            if padding[axis].mode == .reflect {
                precondition(
                    padding[axis].before < inExtents[axis] && padding[axis].after < inExtents[axis],
                    "reflect padding \(padding[axis]) needs more than \(inExtents[axis]) elements")
            }
            if padding[axis].mode == .replicate && (padding[axis].before > 0 || padding[axis].after > 0) {
                precondition(inExtents[axis] > 0, "replicate padding of an empty axis")
            }
            outExtents[axis] = (padded - kernel[axis]) / stride[axis] + 1
        }
        let (fo, ho, wo) = (outExtents[0], outExtents[1], outExtents[2])
        let (f, h, w) = (inExtents[0], inExtents[1], inExtents[2])
        let planeOut = fo * ho * wo, planeIn = f * h * w
        let k = cin * kernel[0] * kernel[1] * kernel[2]

        // Source index of every padded position per axis and kernel offset (-1 = zero).
        let maps = (0..<3).map { axis in
            IndexMap(
                extent: inExtents[axis], padding: padding[axis], kernel: kernel[axis], stride: stride[axis],
                outputs: outExtents[axis])
        }
        let isPointwise = kernel == [1, 1, 1] && stride == [1, 1, 1] && padding.allSatisfy { $0.before == 0 && $0.after == 0 }

        return Tensor(shape: [batch, cout, fo, ho, wo]) { out in
            guard batch * cout * planeOut > 0 else { return }
            if let bias {
                bias.withUnsafeBufferPointer { bp in
                    let o = out.baseAddress!, bv = bp.baseAddress!
                    parallelFor(batch * cout) { range in
                        for item in range { (o + item * planeOut).initialize(repeating: bv[item % cout], count: planeOut) }
                    }
                }
            }
            let beta: Float = bias == nil ? 0 : 1
            if k == 0 {
                if bias == nil { out.initialize(repeating: 0) }
                return
            }
            input.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    let x = xp.baseAddress!, wt = wp.baseAddress!, o = out.baseAddress!
                    if isPointwise {
                        for b in 0..<batch {
                            BLAS.sgemm(
                                .none, .none, m: cout, n: planeOut, k: cin, a: wt, lda: cin,
                                b: x + b * cin * planeIn, ldb: planeIn, beta: beta,
                                c: o + b * cout * planeOut, ldc: planeOut)
                        }
                        return
                    }
                    let bandRows = max(1, min(ho, columnBudgetBytes / max(1, k * wo * 4)))
                    var columns = [Float](repeating: 0, count: k * bandRows * wo)
                    columns.withUnsafeMutableBufferPointer { cp in
                        let col = cp.baseAddress!
                        for b in 0..<batch {
                            for t in 0..<fo {
                                var h0 = 0
                                while h0 < ho {
                                    let rows = min(bandRows, ho - h0)
                                    let n = rows * wo
                                    fillColumns(
                                        col, n: n, input: x + b * cin * planeIn, cin: cin, kernel: kernel,
                                        inExtents: inExtents, maps: maps, frame: t, row0: h0, rows: rows, wo: wo)
                                    BLAS.sgemm(
                                        .none, .none, m: cout, n: n, k: k, a: wt, lda: k, b: col, ldb: n,
                                        beta: beta, c: o + b * cout * planeOut + t * ho * wo + h0 * wo,
                                        ldc: planeOut)
                                    h0 += rows
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes im2col rows `((ci*kt + dt)*kh + dh)*kw + dw` (the weight's own order), each
    /// holding `rows * wo` samples of one output band, spread over threads by row.
    static func fillColumns(
        _ col: UnsafeMutablePointer<Float>, n: Int, input: UnsafePointer<Float>, cin: Int, kernel: [Int],
        inExtents: [Int], maps: [IndexMap], frame: Int, row0: Int, rows: Int, wo: Int
    ) {
        let (kt, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let (h, w) = (inExtents[1], inExtents[2])
        let plane = inExtents[0] * h * w
        let total = cin * kt * kh * kw
        parallelFor(total, grain: max(1, 16_384 / max(1, n))) { range in
            for r in range {
                let dw = r % kw, dh = (r / kw) % kh, dt = (r / (kw * kh)) % kt, ci = r / (kw * kh * kt)
                let dst = col + r * n
                let sf = maps[0].source(output: frame, offset: dt)
                if sf < 0 {
                    dst.initialize(repeating: 0, count: n)
                    continue
                }
                let src = input + ci * plane + sf * h * w
                let xs = maps[2].sources(offset: dw)
                for y in 0..<rows {
                    let sy = maps[1].source(output: row0 + y, offset: dh)
                    let d = dst + y * wo
                    if sy < 0 {
                        d.initialize(repeating: 0, count: wo)
                        continue
                    }
                    let srow = src + sy * w
                    xs.withUnsafeBufferPointer { xi in
                        for x in 0..<wo {
                            let sx = xi[x]
                            d[x] = sx >= 0 ? srow[Int(sx)] : 0
                        }
                    }
                }
            }
        }
    }
}

/// For one axis: which input element each (output position, kernel offset) reads.
struct IndexMap {
    /// `table[offset * outputs + o]` = source index, or -1 for a zero.
    private var table: [Int32]
    private let outputs: Int

    init(extent: Int, padding: AxisPadding, kernel: Int, stride: Int, outputs: Int) {
        self.outputs = outputs
        table = [Int32](repeating: -1, count: kernel * outputs)
        for offset in 0..<kernel {
            for o in 0..<outputs {
                let p = o * stride + offset - padding.before
                table[offset * outputs + o] = Int32(IndexMap.resolve(p, extent: extent, mode: padding.mode))
            }
        }
    }

    static func resolve(_ p: Int, extent n: Int, mode: PaddingMode) -> Int {
        if p >= 0 && p < n { return p }
        switch mode {
        case .zeros: return -1
        case .replicate: return p < 0 ? 0 : n - 1
        case .reflect: return p < 0 ? -p : 2 * (n - 1) - p
        }
    }

    func source(output o: Int, offset: Int) -> Int { Int(table[offset * outputs + o]) }

    func sources(offset: Int) -> ArraySlice<Int32> { table[(offset * outputs)..<((offset + 1) * outputs)] }
}
