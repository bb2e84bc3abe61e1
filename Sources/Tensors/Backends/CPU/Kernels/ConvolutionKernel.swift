/// The convolution shared by `conv3d`, `causalConv3d` and `conv2d`: oneDNN's direct kernels
/// where oneDNN is there (`OneDNN.conv3d`), otherwise im2col + OpenBLAS GEMMs.
enum Convolution {
    /// Bands are cut no narrower than this many output positions unless the budget forces it.
    static let minBandColumns = 256
    /// Target size of one worker's im2col buffer: a band's columns stay in cache between the
    /// fill and the GEMM; 8 and 16 MiB measured no faster on the VAE figures and hold more.
    static let columnBudgetBytes = 4 << 20

    /// The output extents `[F', H', W']`, after checking the operands (a clear error otherwise).
    static func outputExtents(
        input: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]
    ) -> [Int] {
        let cin = input.shape[1]
        let inExtents = [input.shape[2], input.shape[3], input.shape[4]]
        let cout = weight.shape[0]
        let kernel = [weight.shape[2], weight.shape[3], weight.shape[4]]
        require(
            weight.shape[1] == cin,
            "convolution: input \(input.shape) has \(cin) channels, weight \(weight.shape) expects \(weight.shape[1])")
        if let bias { require(bias.shape == [cout], "convolution bias must be [\(cout)], got \(bias.shape)") }
        require(stride.allSatisfy { $0 > 0 }, "convolution strides must be positive, got \(stride)")
        var outExtents = [Int](repeating: 0, count: 3)
        for axis in 0..<3 {
            let padded = inExtents[axis] + padding[axis].before + padding[axis].after
            require(
                padded >= kernel[axis],
                "convolution: axis \(axis) of \(input.shape) padded to \(padded) is shorter than kernel \(kernel[axis])")
            if padding[axis].mode == .reflect {
                require(
                    padding[axis].before < inExtents[axis] && padding[axis].after < inExtents[axis],
                    "reflect padding \(padding[axis]) needs more than \(inExtents[axis]) elements")
            }
            if padding[axis].mode == .replicate && (padding[axis].before > 0 || padding[axis].after > 0) {
                require(inExtents[axis] > 0, "replicate padding of an empty axis")
            }
            outExtents[axis] = (padded - kernel[axis]) / stride[axis] + 1
        }
        return outExtents
    }

    /// bf16 operands on oneDNN's bf16 kernels (float32 sums, the bias added in float32, one
    /// rounding to bf16: what the float32 path computes, in another order), or nil where
    /// oneDNN has none for the shape; the caller then widens to float32.
    static func bf16(
        input: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]
    ) -> Tensor? {
        let outExtents = outputExtents(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
        return OneDNN.conv3d(
            input: input, weight: weight, bias: bias?.cpuConverted(to: .f32), stride: stride, padding: padding,
            outExtents: outExtents)
    }

    static func run(
        input: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding],
        columnBudgetBytes: Int = columnBudgetBytes, oneDNN: Bool = true
    ) -> Tensor {
        let (batch, cin) = (input.shape[0], input.shape[1])
        let inExtents = [input.shape[2], input.shape[3], input.shape[4]]
        let cout = weight.shape[0]
        let kernel = [weight.shape[2], weight.shape[3], weight.shape[4]]
        let outExtents = outputExtents(input: input, weight: weight, bias: bias, stride: stride, padding: padding)
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
        // oneDNN's direct kernels where it is there (a pointwise convolution is one GEMM as is).
        if oneDNN, !isPointwise,
            let y = OneDNN.conv3d(
                input: input, weight: weight, bias: bias, stride: stride, padding: padding, outExtents: outExtents)
        {
            return y
        }

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
                    // Bands of output rows, counted over frames and rows together (the output
                    // of one batch item is contiguous over them), each one im2col + one GEMM on
                    // one worker with its own column buffer, so a band's columns are still in
                    // that core's cache when its GEMM reads them (OpenBLAS on one thread meanwhile).
                    // The bands depend on the shape only (not on the thread count, so results
                    // do not either): up to `columnBudgetBytes` of columns, and about eight per
                    // batch item where that leaves at least `minBandColumns` columns each.
                    let rowsPerItem = fo * ho
                    let workers = max(1, TensorThreads.count)
                    let budgetRows = max(1, columnBudgetBytes / max(1, k * wo * 4))
                    let wanted = max((minBandColumns + wo - 1) / wo, (rowsPerItem + 7) / 8)
                    let bandRows = max(1, min(rowsPerItem, budgetRows, wanted))
                    let bandsPerItem = (rowsPerItem + bandRows - 1) / bandRows
                    let bands = batch * bandsPerItem
                    let bandFloats = k * bandRows * wo
                    let slots = min(workers, bands)
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: slots * bandFloats)
                    defer { scratch.deallocate() }
                    let geometry = ColumnGeometry(
                        cin: cin, kernel: kernel, inExtents: inExtents, outExtents: outExtents, stride: stride,
                        padding: padding, maps: maps)
                    let band = { (index: Int, slot: Int) in
                        let b = index / bandsPerItem, row0 = (index % bandsPerItem) * bandRows
                        let rows = min(bandRows, rowsPerItem - row0), n = rows * wo
                        let col = scratch + slot * bandFloats
                        geometry.fill(col, input: x + b * cin * planeIn, row0: row0, rows: rows)
                        BLAS.sgemm(
                            .none, .none, m: cout, n: n, k: k, a: wt, lda: k, b: col, ldb: n,
                            beta: beta, c: o + b * cout * planeOut + row0 * wo, ldc: planeOut, cutIntoBands: false)
                    }
                    if slots > 1 {
                        TensorThreads.withSingleThreadedProducts { parallelForEach(bands, workers: slots, band) }
                    } else {
                        for index in 0..<bands { band(index, 0) }
                    }
                }
            }
        }
    }
}

/// The im2col of one convolution: which input element each column entry reads.
struct ColumnGeometry {
    let cin: Int, kt: Int, kh: Int, kw: Int
    let f: Int, h: Int, w: Int
    let fo: Int, ho: Int, wo: Int
    let maps: [IndexMap]
    /// Per width offset `dw`: output columns `x` in `lo..<hi` read input column `x + shift`
    /// (stride 1, inside the row: one contiguous copy); the others, and every column of a
    /// strided convolution, go through the map (padding modes).
    let direct: [(lo: Int, hi: Int, shift: Int)]

    init(cin: Int, kernel: [Int], inExtents: [Int], outExtents: [Int], stride: [Int], padding: [AxisPadding], maps: [IndexMap]) {
        self.cin = cin
        (kt, kh, kw) = (kernel[0], kernel[1], kernel[2])
        (f, h, w) = (inExtents[0], inExtents[1], inExtents[2])
        (fo, ho, wo) = (outExtents[0], outExtents[1], outExtents[2])
        self.maps = maps
        let (w, wo, pad) = (inExtents[2], outExtents[2], padding[2].before)
        direct = (0..<kernel[2]).map { dw in
            guard stride[2] == 1 else { return (0, 0, 0) }
            let lo = min(wo, max(0, pad - dw))
            let hi = max(lo, min(wo, w + pad - dw))
            return (lo, hi, dw - pad)
        }
    }

    /// Writes im2col rows `((ci*kt + dt)*kh + dh)*kw + dw` (the weight's own order), each
    /// holding the `rows * wo` samples of output rows `row0..<row0+rows`, counted over
    /// frames and rows together (`frame * ho + row`).
    func fill(_ col: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, row0: Int, rows: Int) {
        let n = rows * wo
        let plane = f * h * w
        let total = cin * kt * kh * kw
        maps[2].withTable { xt in
            for r in 0..<total {
                let dw = r % kw, dh = (r / kw) % kh, dt = (r / (kw * kh)) % kt, ci = r / (kw * kh * kt)
                let dst = col + r * n
                let src = input + ci * plane
                let xs = xt.baseAddress! + dw * wo
                let (lo, hi, shift) = direct[dw]
                var (t, y) = (row0 / ho, row0 % ho)
                for row in 0..<rows {
                    let d = dst + row * wo
                    let sf = maps[0].source(output: t, offset: dt)
                    let sy = maps[1].source(output: y, offset: dh)
                    if sf < 0 || sy < 0 {
                        d.initialize(repeating: 0, count: wo)
                    } else {
                        let srow = src + (sf * h + sy) * w
                        for x in 0..<lo {
                            let sx = xs[x]
                            d[x] = sx >= 0 ? srow[Int(sx)] : 0
                        }
                        if hi > lo { (d + lo).update(from: srow + lo + shift, count: hi - lo) }
                        for x in hi..<wo {
                            let sx = xs[x]
                            d[x] = sx >= 0 ? srow[Int(sx)] : 0
                        }
                    }
                    y += 1
                    if y == ho { (t, y) = (t + 1, 0) }
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

    /// The whole table, `[offset * outputs + o]`.
    func withTable<R>(_ body: (UnsafeBufferPointer<Int32>) -> R) -> R { table.withUnsafeBufferPointer(body) }
}
