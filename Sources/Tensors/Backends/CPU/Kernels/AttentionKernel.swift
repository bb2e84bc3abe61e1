internal import CKernels

/// Where one operand's heads live: element offsets of batch item b, head h, and token row.
struct HeadLayout {
    var batchStride: Int
    var headStride: Int
    var rowStride: Int

    func offset(batch: Int, head: Int) -> Int { batch * batchStride + head * headStride }
}

struct AttentionGeometry {
    var batch, heads, queryTokens, keyTokens, headDim, valueDim: Int
    var query, key, value, output: HeadLayout
}

/// The blocked online-softmax kernel behind both attention layouts.
enum AttentionKernel {
    static func run(
        _ g: AttentionGeometry, outputShape: [Int], query: Tensor, key: Tensor, value: Tensor,
        mask: AttentionMask?, scale: Float, queryBlock: Int, keyBlock: Int, roundProbabilities: Bool = false
    ) -> Tensor {
        require(queryBlock > 0 && keyBlock > 0, "attention blocks must be positive")
        let maskLayout = mask?.tensor.map { MaskLayout(shape: $0.shape, geometry: g) }
        var grouped: GroupBias?
        if case .groups(let weights)? = mask { grouped = GroupBias(weights) }
        let multiplicative: Bool
        if case .multiplicative = mask { multiplicative = true } else { multiplicative = false }
        let maskTensor = mask?.tensor ?? Tensor(zeros: [0])
        let bq = Swift.min(queryBlock, g.queryTokens), bk = Swift.min(keyBlock, g.keyTokens)
        let qBlocks = bq == 0 ? 0 : (g.queryTokens + bq - 1) / bq
        let items = g.batch * g.heads * qBlocks
        let workers = Swift.min(TensorThreads.count, Swift.max(1, items))

        return Tensor(shape: outputShape) { out in
            guard items > 0, g.valueDim > 0 else { return }
            if g.keyTokens == 0 {
                // No keys: torch 2.7's CPU SDPA returns zeros, and so do we.
                out.initialize(repeating: 0)
                return
            }
            query.withUnsafeBufferPointer { qp in
                key.withUnsafeBufferPointer { kp in
                    value.withUnsafeBufferPointer { vp in
                        maskTensor.withUnsafeBufferPointer { mp in
                            // Scratch per worker: score tile, row max, row sum.
                            var scratch = [Float](repeating: 0, count: workers * (bq * bk + 2 * bq))
                            scratch.withUnsafeMutableBufferPointer { sp in
                                let pointers = Pointers(
                                    q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                    mask: mp.baseAddress, out: out.baseAddress!, scratch: sp.baseAddress!)
                                let body = { (item: Int, worker: Int) in
                                    let head = item / qBlocks, block = item % qBlocks
                                    let tile = Tile(
                                        batch: head / g.heads, head: head % g.heads, q0: block * bq,
                                        rows: Swift.min(bq, g.queryTokens - block * bq))
                                    let s = pointers.scratch + worker * (bq * bk + 2 * bq)
                                    processTile(
                                        tile, g, pointers, maskLayout: maskLayout, multiplicative: multiplicative,
                                        scale: scale, keyBlock: bk, scores: s, rowMax: s + bq * bk,
                                        rowSum: s + bq * bk + bq, roundProbabilities: roundProbabilities,
                                        grouped: grouped)
                                }
                                if workers > 1 {
                                    TensorThreads.withSingleThreadedBLAS {
                                        parallelForEach(items, workers: workers, body)
                                    }
                                } else {
                                    for i in 0..<items { body(i, 0) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    struct Pointers {
        var q, k, v: UnsafePointer<Float>
        var mask: UnsafePointer<Float>?
        var out: UnsafeMutablePointer<Float>
        var scratch: UnsafeMutablePointer<Float>
    }

    struct Tile {
        var batch, head, q0, rows: Int
    }

    /// One query block of one head against every key block.
    static func processTile(
        _ t: Tile, _ g: AttentionGeometry, _ p: Pointers, maskLayout: MaskLayout?, multiplicative: Bool,
        scale: Float, keyBlock: Int, scores: UnsafeMutablePointer<Float>,
        rowMax: UnsafeMutablePointer<Float>, rowSum: UnsafeMutablePointer<Float>,
        roundProbabilities: Bool = false, grouped: GroupBias? = nil
    ) {
        let d = g.headDim, dv = g.valueDim
        let q = p.q + g.query.offset(batch: t.batch, head: t.head) + t.q0 * g.query.rowStride
        let kBase = p.k + g.key.offset(batch: t.batch, head: t.head)
        let vBase = p.v + g.value.offset(batch: t.batch, head: t.head)
        let o = p.out + g.output.offset(batch: t.batch, head: t.head) + t.q0 * g.output.rowStride
        let ldo = g.output.rowStride
        for i in 0..<t.rows {
            rowMax[i] = -.infinity
            rowSum[i] = 0
        }
        var k0 = 0
        while k0 < g.keyTokens {
            let cols = Swift.min(keyBlock, g.keyTokens - k0)
            // S = scale * Q_blk · K_blkᵀ   [rows, cols]
            BLAS.sgemm(
                .none, .transposed, m: t.rows, n: cols, k: d, alpha: scale,
                a: q, lda: g.query.rowStride, b: kBase + k0 * g.key.rowStride, ldb: g.key.rowStride,
                c: scores, ldc: cols)
            for i in 0..<t.rows {
                let s = scores + i * cols
                var maskRow: UnsafePointer<Float>? = nil
                var maskStep = 0
                if let layout = maskLayout, let m = p.mask {
                    maskRow = m + layout.offset(batch: t.batch, head: t.head, row: t.q0 + i, column: k0)
                    maskStep = layout.columnStride
                }
                grouped?.add(to: s, count: cols, batch: t.batch, row: t.q0 + i, firstKey: k0)
                if let mr = maskRow, !multiplicative {
                    if maskStep == 1 {
                        for j in 0..<cols { s[j] += mr[j] }
                    } else {
                        let v = mr[0]
                        for j in 0..<cols { s[j] += v }
                    }
                }
                var blockMax: Float
                if let mr = maskRow, multiplicative {
                    // Max over the keys that can receive weight (M > 0) only.
                    blockMax = -.infinity
                    for j in 0..<cols where mr[j * maskStep] > 0 { blockMax = Swift.max(blockMax, s[j]) }
                } else {
                    blockMax = reelflow_max_f32(s, cols)
                }
                let newMax = Swift.max(rowMax[i], blockMax)
                if newMax == -.infinity {
                    // Every key so far is masked out: this block contributes nothing.
                    for j in 0..<cols { s[j] = 0 }
                    continue
                }
                var blockSum = reelflow_exp_shifted_sum(s, s, cols, newMax)
                if let mr = maskRow, multiplicative {
                    if maskStep == 1 {
                        for j in 0..<cols { s[j] *= mr[j] }
                    } else {
                        let v = mr[0]
                        for j in 0..<cols { s[j] *= v }
                    }
                    blockSum = Reductions.sum(s, cols)
                }
                if roundProbabilities {
                    // torch's CPU flash kernel in bf16 multiplies V by the unnormalised
                    // probabilities rounded to bf16; the row sum stays float32.
                    reelflow_round_bf16_f32(s, s, cols)
                }
                let correction = FastMath.exp(rowMax[i] - newMax)
                rowSum[i] = rowSum[i] * correction + blockSum
                rowMax[i] = newMax
                if k0 > 0 && correction != 1 {
                    FastMath.scale(o + i * ldo, dv, by: correction)
                }
            }
            // O_blk (+)= P · V_blk   [rows, dv]; the first block overwrites the
            // uninitialised output.
            BLAS.sgemm(
                .none, .none, m: t.rows, n: dv, k: cols,
                a: scores, lda: cols, b: vBase + k0 * g.value.rowStride, ldb: g.value.rowStride,
                beta: k0 == 0 ? 0 : 1, c: o, ldc: ldo)
            k0 += cols
        }
        for i in 0..<t.rows {
            // A row with no admissible key (all masked) has sum 0; torch 2.7's CPU SDPA
            // returns zeros for it, and so do we.
            if rowSum[i] > 0 {
                FastMath.scale(o + i * ldo, dv, by: 1 / rowSum[i])
            } else {
                (o + i * ldo).update(repeating: 0, count: dv)
            }
        }
    }
}

/// Element strides of a mask broadcast to `[B, H, Tq, Tk]` (0 along repeated axes).
struct MaskLayout {
    var batchStride, headStride, rowStride, columnStride: Int

    init(shape: [Int], geometry g: AttentionGeometry) {
        let full = [g.batch, g.heads, g.queryTokens, g.keyTokens]
        require(shape.count >= 1 && shape.count <= 4, "attention mask \(shape) must have 1 to 4 axes")
        let padded = [Int](repeating: 1, count: 4 - shape.count) + shape
        for axis in 0..<4 {
            require(
                padded[axis] == full[axis] || padded[axis] == 1,
                "attention mask \(shape) does not broadcast to [B, H, Tq, Tk] = \(full)")
        }
        let dense = Tensor.strides(of: padded)
        func stride(_ axis: Int) -> Int { padded[axis] == 1 ? 0 : dense[axis] }
        batchStride = stride(0)
        headStride = stride(1)
        rowStride = stride(2)
        columnStride = stride(3)
    }

    func offset(batch: Int, head: Int, row: Int, column: Int) -> Int {
        batch * batchStride + head * headStride + row * rowStride + column * columnStride
    }
}

/// `TokenGroupWeights` prepared for the tile loop: the group of each token and the bias of
/// its cross weight, so a score row gets its bias from two table lookups per key.
struct GroupBias: Sendable {
    let groups: [Int32]
    let crossBias: [Float]
    let batch: Int
    let tokens: Int
    let isolated: Int32
    let lowest: Float

    init(_ w: TokenGroupWeights) {
        groups = w.groups.map { Int32($0) }
        crossBias = w.cross.map { TokenGroupWeights.bias($0, dtype: w.dtype) }
        batch = w.batch
        tokens = w.groups.count
        isolated = Int32(w.firstIsolatedGroup)
        lowest = TokenGroupWeights.bias(0, dtype: w.dtype)
    }

    /// Adds the bias of query token `row` against keys `firstKey ..< firstKey + count`.
    func add(to s: UnsafeMutablePointer<Float>, count: Int, batch b: Int, row: Int, firstKey: Int) {
        let bb = batch == 1 ? 0 : b
        groups.withUnsafeBufferPointer { g in
            crossBias.withUnsafeBufferPointer { c in
                let gi = g[row], cross = c.baseAddress! + bb * tokens
                for j in 0..<count {
                    let key = firstKey + j, gj = g[key]
                    if gi == gj { continue }
                    if gi == 0 {
                        s[j] += cross[key]
                    } else if gj == 0 {
                        s[j] += cross[row]
                    } else if Swift.max(gi, gj) >= isolated {
                        s[j] += lowest
                    }
                }
            }
        }
    }
}
