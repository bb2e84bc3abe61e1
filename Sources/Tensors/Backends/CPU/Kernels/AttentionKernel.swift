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

extension Tensor {
    /// An operand in `[B, T, H·w]` token layout copied to `[B, H, T, w]`, so each head's rows
    /// are dense (oneDNN's fast kernels want them so), and `layout` updated to match; itself
    /// when its rows already are dense.
    fileprivate func headsFirst(_ layout: inout HeadLayout, width: Int, _ g: AttentionGeometry) -> Tensor {
        guard layout.rowStride != width else { return self }
        let tokens = shape[rank - 2]
        layout = HeadLayout(batchStride: g.heads * tokens * width, headStride: tokens * width, rowStride: width)
        return reshaped([g.batch, tokens, g.heads, width]).permuted([0, 2, 1, 3])
    }
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
        // bf16 operands keep torch's key blocks: it rounds each block's probabilities against
        // the running max, so other blocks round other values.
        let bf16Operands = query.dtype == .bf16 && key.dtype == .bf16 && value.dtype == .bf16
        let bq = Swift.min(queryBlock, g.queryTokens)
        let bk = bf16Operands || roundProbabilities
            ? Swift.min(keyBlock, g.keyTokens) : Self.keyBlock(keyBlock, keyTokens: g.keyTokens)
        let qBlocks = bq == 0 ? 0 : (g.queryTokens + bq - 1) / bq
        let items = g.batch * g.heads * qBlocks
        let workers = Swift.min(TensorThreads.count, Swift.max(1, items))

        // bf16 operands go through AMX tiles where the CPU has them, else oneDNN's bf16 GEMMs;
        // anything else runs on float32: oneDNN's brgemm on dense heads where it has it, else
        // OpenBLAS on the heads in place.
        let amx = bf16Operands && AMXTileProducts.canTake(g, keyBlock: bk)
        let bf16 = amx || (bf16Operands && OneDNNTileProducts.canTake(g, queryBlock: bq, keyBlock: bk))
        let denseFloat = !bf16 && OneDNNFloatTileProducts.canTake(g, queryBlock: bq, keyBlock: bk)
        var g = g
        let operands: (query: Tensor, key: Tensor, value: Tensor)
        if amx {
            // Keys and values packed per head into the tiles' layout (as large as the dense
            // copies the oneDNN path makes); queries are read where they are.
            let packed = AMXTileProducts.pack(key: key, value: value, &g)
            operands = (query, packed.key, packed.value)
        } else if bf16 {
            operands = (
                query.headsFirst(&g.query, width: g.headDim, g), key.headsFirst(&g.key, width: g.headDim, g),
                value.headsFirst(&g.value, width: g.valueDim, g)
            )
        } else if denseFloat {
            let cpu = CPUBackend.shared
            operands = (
                cpu.f32(query).headsFirst(&g.query, width: g.headDim, g), cpu.f32(key).headsFirst(&g.key, width: g.headDim, g),
                cpu.f32(value).headsFirst(&g.value, width: g.valueDim, g)
            )
        } else {
            let cpu = CPUBackend.shared
            operands = (cpu.f32(query), cpu.f32(key), cpu.f32(value))
        }
        let (query, key, value) = operands
        let elementSize = bf16 ? 2 : 4
        // Scratch per worker: score tile (rows `scoreStride` apart), row max, row sum, and for
        // bf16 the tile as bf16 words and a float32 P·V tile, for oneDNN's float32 tiles the P·V tile.
        let scoreStride = amx ? AMXTileProducts.scoreStride(cols: bk) : bk
        let words = amx ? bq * AMXTileProducts.wordStride(cols: bk) : bq * bk
        let extra = bf16 ? (words + 1) / 2 + bq * g.valueDim : denseFloat ? bq * g.valueDim : 0
        let perWorker = bq * scoreStride + 2 * bq + extra

        return Tensor(shape: outputShape) { out in
            guard items > 0, g.valueDim > 0 else { return }
            if g.keyTokens == 0 {
                // No keys: torch 2.7's CPU SDPA returns zeros, and so do we.
                out.initialize(repeating: 0)
                return
            }
            query.withUnsafeHostBytes { qp in
                key.withUnsafeHostBytes { kp in
                    value.withUnsafeHostBytes { vp in
                        maskTensor.withUnsafeBufferPointer { mp in
                            // Not zeroed (a serial memset of 1.4 MB per call at the tiny shape):
                            // the tile kernels write every score, row statistic and product they
                            // read, and rows past a short tile's end only reach rows that are
                            // never copied out.
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: workers * perWorker) { sp in
                                let pointers = Pointers(
                                    q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, elementSize: elementSize,
                                    mask: mp.baseAddress, out: out.baseAddress!, scratch: sp.baseAddress!)
                                func body<P: TileProducts>(_ products: P) -> (Int, Int) -> Void {
                                    { (item: Int, worker: Int) in
                                        let head = item / qBlocks, block = item % qBlocks
                                        let tile = Tile(
                                            batch: head / g.heads, head: head % g.heads, q0: block * bq,
                                            rows: Swift.min(bq, g.queryTokens - block * bq))
                                        let s = pointers.scratch + worker * perWorker
                                        let tileFloats = bq * scoreStride
                                        processTile(
                                            tile, g, pointers, products, maskLayout: maskLayout,
                                            multiplicative: multiplicative, scale: scale, keyBlock: bk, scores: s,
                                            rowMax: s + tileFloats, rowSum: s + tileFloats + bq,
                                            extra: s + tileFloats + 2 * bq, roundProbabilities: roundProbabilities,
                                            grouped: grouped)
                                    }
                                }
                                let run =
                                    amx
                                    ? body(AMXTileProducts())
                                    : bf16
                                        ? body(OneDNNTileProducts())
                                        : denseFloat ? body(OneDNNFloatTileProducts()) : body(SGEMMTileProducts())
                                if workers > 1 {
                                    TensorThreads.withSingleThreadedProducts {
                                        parallelForEach(items, workers: workers, run)
                                    }
                                } else {
                                    for i in 0..<items { run(i, 0) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The key block of float32 attention over `keyTokens` keys: `keyBlock`, or all keys where
    /// they are one block and less than half another (a short second block costs a second pass
    /// of the online softmax and its rescaling: 640 keys as one block took 0.96x the time of
    /// 512 + 128 in the tiny transformer's self-attention). The score tile is then at most 1.5x
    /// as large. Only the summation order changes.
    static func keyBlock(_ keyBlock: Int, keyTokens: Int) -> Int {
        keyTokens > keyBlock && keyTokens - keyBlock < keyBlock / 2 ? keyTokens : Swift.min(keyBlock, keyTokens)
    }

    /// A float32 `P · V` tile (`rows · width`, dense) added to the output rows, or written
    /// over them for the first key block.
    static func addProduct(
        _ product: UnsafePointer<Float>, rows: Int, width: Int, into o: UnsafeMutablePointer<Float>, ldo: Int,
        overwrite: Bool
    ) {
        for i in 0..<rows {
            let row = o + i * ldo, add = product + i * width
            if overwrite {
                row.update(from: add, count: width)
            } else {
                for j in 0..<width { row[j] += add[j] }
            }
        }
    }

    struct Pointers {
        /// The operands' elements: float32, or bf16 words (`elementSize` 2).
        var q, k, v: UnsafeRawPointer
        var elementSize: Int
        var mask: UnsafePointer<Float>?
        var out: UnsafeMutablePointer<Float>
        var scratch: UnsafeMutablePointer<Float>
    }

    struct Tile {
        var batch, head, q0, rows: Int
    }

    /// One query block of one head against every key block.
    static func processTile<P: TileProducts>(
        _ t: Tile, _ g: AttentionGeometry, _ p: Pointers, _ products: P, maskLayout: MaskLayout?, multiplicative: Bool,
        scale: Float, keyBlock: Int, scores: UnsafeMutablePointer<Float>,
        rowMax: UnsafeMutablePointer<Float>, rowSum: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>,
        roundProbabilities: Bool = false, grouped: GroupBias? = nil
    ) {
        let d = g.headDim, dv = g.valueDim, size = p.elementSize
        // Unmasked tiles of products that take bf16 words fuse scale, exponential and packing;
        // of products that scale in a pass of their own, scale and exponential (the same bits:
        // the max of the raw scores times a positive scale is the max of the scaled ones).
        let unmasked = maskLayout == nil && grouped == nil && scale > 0 && scale.isFinite
        let fused = P.takesPackedProbabilities && unmasked
        let scaleInExponential = !fused && P.scalesInAPass && unmasked
        let q = p.q + (g.query.offset(batch: t.batch, head: t.head) + t.q0 * g.query.rowStride) * size
        let kBase = p.k + g.key.offset(batch: t.batch, head: t.head) * size
        let vBase = p.v + g.value.offset(batch: t.batch, head: t.head) * size
        let o = p.out + g.output.offset(batch: t.batch, head: t.head) + t.q0 * g.output.rowStride
        let ldo = g.output.rowStride
        for i in 0..<t.rows {
            rowMax[i] = -.infinity
            rowSum[i] = 0
        }
        var k0 = 0
        /// The online softmax's step for row `i` past a key block with this max and sum: the
        /// row's sum and max carried over, its output so far rescaled where the max grew.
        func advance(row i: Int, to newMax: Float, adding blockSum: Float) {
            let correction = FastMath.exp(rowMax[i] - newMax)
            rowSum[i] = rowSum[i] * correction + blockSum
            rowMax[i] = newMax
            if k0 > 0 && correction != 1 {
                FastMath.scale(o + i * ldo, dv, by: correction)
            }
        }
        while k0 < g.keyTokens {
            let cols = Swift.min(keyBlock, g.keyTokens - k0)
            let lds = P.scoreStride(cols: cols)
            // S = scale * Q_blk · K_blkᵀ   [rows, cols], rows `lds` apart; with `fused`, the
            // scale is applied inside the exponential below
            products.scores(
                q, ldq: g.query.rowStride, kBase + k0 * g.key.rowStride * size, ldk: g.key.rowStride,
                rows: t.rows, cols: cols, depth: d, scale: fused || scaleInExponential ? 1 : scale, into: scores, lds: lds)
            if fused {
                // No mask: per row, the max of the raw scores times the scale (the max of the
                // scaled scores: rounding a product by a positive scale keeps the order), then
                // e^(s·scale − max) packed straight to the bf16 words `P · V` reads.
                let ldp = P.probabilityStride(cols: cols)
                let words = UnsafeMutableRawPointer(extra).assumingMemoryBound(to: UInt16.self)
                for i in 0..<t.rows {
                    let s = scores + i * lds, row = words + i * ldp
                    let newMax = Swift.max(rowMax[i], reelflow_max_f32(s, cols) * scale)
                    if newMax == -.infinity {
                        // Every score so far is -infinity: this block contributes nothing.
                        row.update(repeating: 0, count: ldp)
                        continue
                    }
                    let blockSum = reelflow_exp_scaled_sum_bf16(s, row, cols, scale, newMax)
                    (row + cols).update(repeating: 0, count: ldp - cols)
                    advance(row: i, to: newMax, adding: blockSum)
                }
                products.accumulatePacked(
                    words, ldp: ldp, vBase + k0 * g.value.rowStride * size, rows: t.rows, cols: cols, width: dv,
                    into: o, ldo: ldo, overwrite: k0 == 0, scratch: extra + (t.rows * ldp + 1) / 2)
                k0 += cols
                continue
            }
            for i in 0..<t.rows {
                let s = scores + i * lds
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
                    blockMax = reelflow_max_f32(s, cols) * (scaleInExponential ? scale : 1)
                }
                let newMax = Swift.max(rowMax[i], blockMax)
                if newMax == -.infinity {
                    // Every key so far is masked out: this block contributes nothing.
                    for j in 0..<cols { s[j] = 0 }
                    continue
                }
                var blockSum = scaleInExponential
                    ? reelflow_exp_scaled_sum(s, s, cols, scale, newMax) : reelflow_exp_shifted_sum(s, s, cols, newMax)
                if let mr = maskRow, multiplicative {
                    if maskStep == 1 {
                        for j in 0..<cols { s[j] *= mr[j] }
                    } else {
                        let v = mr[0]
                        for j in 0..<cols { s[j] *= v }
                    }
                    blockSum = Reductions.sum(s, cols)
                }
                if roundProbabilities && !P.packsProbabilitiesToBF16 {
                    // torch's CPU flash kernel in bf16 multiplies V by the unnormalised
                    // probabilities rounded to bf16; the row sum stays float32.
                    reelflow_round_bf16_f32(s, s, cols)
                }
                advance(row: i, to: newMax, adding: blockSum)
            }
            // O_blk (+)= P · V_blk   [rows, dv]; the first block overwrites the
            // uninitialised output.
            products.accumulate(
                scores, lds: lds, vBase + k0 * g.value.rowStride * size, ldv: g.value.rowStride, rows: t.rows,
                cols: cols, width: dv, into: o, ldo: ldo, overwrite: k0 == 0, scratch: extra)
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

/// `TokenGroupWeights` prepared for the tile loop: the tokens cut into runs of one group (the
/// target grid, then each appended item: a handful of runs), so a score row gets its bias run
/// by run, as a constant or the keys' cross biases added over the run, instead of two table
/// lookups per key.
struct GroupBias: Sendable {
    struct Run: Sendable {
        var start: Int, end: Int, group: Int32
    }
    let groups: [Int32]
    let runs: [Run]
    let crossBias: [Float]
    let batch: Int
    let tokens: Int
    let isolated: Int32
    let lowest: Float

    init(_ w: TokenGroupWeights) {
        groups = w.groups.map { Int32($0) }
        var runs: [Run] = []
        for (i, g) in groups.enumerated() {
            if let last = runs.last, last.group == g {
                runs[runs.count - 1].end = i + 1
            } else {
                runs.append(Run(start: i, end: i + 1, group: g))
            }
        }
        self.runs = runs
        crossBias = w.cross.map { TokenGroupWeights.bias($0, dtype: w.dtype) }
        batch = w.batch
        tokens = w.groups.count
        isolated = Int32(w.firstIsolatedGroup)
        lowest = TokenGroupWeights.bias(0, dtype: w.dtype)
    }

    /// Adds the bias of query token `row` against keys `firstKey ..< firstKey + count`: nothing
    /// within a group, the key's cross bias from the grid to an appended token, the query's from
    /// an appended token to the grid, the lowest value between isolated appended groups.
    func add(to s: UnsafeMutablePointer<Float>, count: Int, batch b: Int, row: Int, firstKey: Int) {
        let bb = batch == 1 ? 0 : b, last = firstKey + count
        crossBias.withUnsafeBufferPointer { c in
            let gi = groups[row], cross = c.baseAddress! + bb * tokens
            for run in runs where run.end > firstKey && run.start < last {
                let gj = run.group
                if gi == gj { continue }
                let from = Swift.max(run.start, firstKey), to = Swift.min(run.end, last)
                if gi == 0 {
                    for key in from..<to { s[key - firstKey] += cross[key] }
                } else {
                    let value: Float
                    if gj == 0 {
                        value = cross[row]
                    } else if Swift.max(gi, gj) >= isolated {
                        value = lowest
                    } else {
                        continue
                    }
                    for key in from..<to { s[key - firstKey] += value }
                }
            }
        }
    }
}

/// The two products of an attention tile: the scores `S = scale · Q · Kᵀ` and the output
/// update `O (+)= P · V`.
protocol TileProducts {
    /// Whether `accumulate` rounds the probabilities to bf16 itself (packing them to bf16
    /// words), so the caller need not round them first.
    static var packsProbabilitiesToBF16: Bool { get }
    /// Whether `scores` applies a scale other than 1 in a pass of its own after the product
    /// (so unmasked tiles ask for scale 1 and scale inside the exponential instead).
    static var scalesInAPass: Bool { get }
    /// How many floats apart the rows of a score tile `cols` wide are kept.
    static func scoreStride(cols: Int) -> Int
    /// Whether unmasked tiles may hand `accumulatePacked` probabilities packed to bf16 words
    /// `probabilityStride(cols:)` apart (zero past `cols`), made by the fused exponential.
    static var takesPackedProbabilities: Bool { get }
    static func probabilityStride(cols: Int) -> Int
    /// `o[rows, width] (+)= p · v` for bf16 probability words; `scratch` holds `rows · width` floats.
    func accumulatePacked(
        _ words: UnsafePointer<UInt16>, ldp: Int, _ v: UnsafeRawPointer, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>)
    /// `scores[rows, cols] = scale · q[rows, depth] · k[cols, depth]ᵀ` (rows `ldq`, `ldk`, `lds` apart).
    func scores(
        _ q: UnsafeRawPointer, ldq: Int, _ k: UnsafeRawPointer, ldk: Int, rows: Int, cols: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>, lds: Int)
    /// `o[rows, width] (+)= p[rows, cols] · v[cols, width]` (p's rows `lds` apart); `overwrite`
    /// for the first key block. `scratch` holds the tile as bf16 words and `rows · width` floats.
    func accumulate(
        _ p: UnsafeMutablePointer<Float>, lds: Int, _ v: UnsafeRawPointer, ldv: Int, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>)
}

extension TileProducts {
    static var scalesInAPass: Bool { false }
    /// Rows of the score tile lie back to back.
    static func scoreStride(cols: Int) -> Int { cols }
    /// Only `AMXTileProducts` multiplies probabilities already packed to bf16 words.
    static var takesPackedProbabilities: Bool { false }
    static func probabilityStride(cols: Int) -> Int { cols }
    func accumulatePacked(
        _ words: UnsafePointer<UInt16>, ldp: Int, _ v: UnsafeRawPointer, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        fatalError("\(Self.self) takes float32 probabilities")
    }
}

/// float32 operands: OpenBLAS `sgemm` (one thread per worker), the scale folded into alpha.
struct SGEMMTileProducts: TileProducts {
    static var packsProbabilitiesToBF16: Bool { false }

    func scores(
        _ q: UnsafeRawPointer, ldq: Int, _ k: UnsafeRawPointer, ldk: Int, rows: Int, cols: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>, lds: Int
    ) {
        BLAS.sgemm(
            .none, .transposed, m: rows, n: cols, k: depth, alpha: scale,
            a: q.assumingMemoryBound(to: Float.self), lda: ldq, b: k.assumingMemoryBound(to: Float.self), ldb: ldk,
            c: scores, ldc: lds, cutIntoBands: false)
    }

    func accumulate(
        _ p: UnsafeMutablePointer<Float>, lds: Int, _ v: UnsafeRawPointer, ldv: Int, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        BLAS.sgemm(
            .none, .none, m: rows, n: width, k: cols,
            a: p, lda: lds, b: v.assumingMemoryBound(to: Float.self), ldb: ldv,
            beta: overwrite ? 0 : 1, c: o, ldc: ldo, cutIntoBands: false)
    }
}

/// bf16 operands: oneDNN's bf16 GEMMs with float32 accumulation, as torch's CPU flash kernel
/// runs them. The scores come out in float32 and are scaled after the product (the same one
/// multiply sgemm's alpha does); the probabilities are packed to bf16 words for `P · V` (that
/// is their rounding), whose float32 result is added to the output.
struct OneDNNTileProducts: TileProducts {
    /// The probabilities are packed to bf16 words (round to nearest even, as the caller's
    /// rounding) for the bf16 product, always: torch's bf16 kernel rounds them too.
    static var packsProbabilitiesToBF16: Bool { true }
    static var scalesInAPass: Bool { true }

    static let plans = OneDNNTilePlans(operand: OneDNN.Layout.bf16)

    /// Whether oneDNN has a fast kernel for every tile shape of `g` (full and edge tiles).
    static func canTake(_ g: AttentionGeometry, queryBlock bq: Int, keyBlock bk: Int) -> Bool {
        OneDNN.enabled && plans.coverEveryTile(g, queryBlock: bq, keyBlock: bk)
    }

    func scores(
        _ q: UnsafeRawPointer, ldq: Int, _ k: UnsafeRawPointer, ldk: Int, rows: Int, cols: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>, lds: Int
    ) {
        precondition(lds == cols, "oneDNN's score tiles are dense")
        let plan = Self.plans.score(rows: rows, cols: cols, depth: depth)
        guard let plan, ldq == depth, ldk == depth else { fatalError("oneDNN refused a bf16 attention tile of \(rows) x \(depth) x \(cols)") }
        plan.run(q, k, into: scores, threads: 1)
        if scale != 1 { FastMath.scale(scores, rows * cols, by: scale) }
    }

    func accumulate(
        _ p: UnsafeMutablePointer<Float>, lds: Int, _ v: UnsafeRawPointer, ldv: Int, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(lds == cols, "oneDNN's score tiles are dense")
        let words = UnsafeMutableRawPointer(scratch).assumingMemoryBound(to: UInt16.self)
        let product = scratch + (rows * cols + 1) / 2
        reelflow_f32_to_bf16(p, words, rows * cols)
        let plan = Self.plans.value(rows: rows, cols: cols, width: width)
        guard let plan, ldv == width else { fatalError("oneDNN refused a bf16 attention tile of \(rows) x \(cols) x \(width)") }
        plan.run(words, v, into: product, threads: 1)
        AttentionKernel.addProduct(product, rows: rows, width: width, into: o, ldo: ldo, overwrite: overwrite)
    }
}

/// The two oneDNN products of an attention tile on dense heads, for one operand element type
/// (bf16 or float32; scores and `P · V` come out in float32), planned once per shape.
struct OneDNNTilePlans: Sendable {
    /// The layout of a dense operand of this element type: `(batch, row, column)` strides.
    let operand: @Sendable (Int, Int, Int) -> OneDNN.Layout
    /// Whether a plan must be oneDNN's brgemm kernel (its fallback `gemm:jit` is slower than
    /// OpenBLAS on float32 tiles).
    var brgemmOnly = false

    /// `Q · Kᵀ`: Q `[rows, depth]`, K `[cols, depth]` read transposed.
    func score(rows: Int, cols: Int, depth: Int) -> OneDNN.Product? {
        OneDNN.product(
            m: rows, k: depth, n: cols, a: operand(rows * depth, depth, 1), b: operand(cols * depth, 1, depth),
            c: .f32(rows * cols, cols, 1), threads: 1)
    }

    /// `P · V`: P `[rows, cols]`, V `[cols, width]`.
    func value(rows: Int, cols: Int, width: Int) -> OneDNN.Product? {
        OneDNN.product(
            m: rows, k: cols, n: width, a: operand(rows * cols, cols, 1), b: operand(cols * width, width, 1),
            c: .f32(rows * width, width, 1), threads: 1)
    }

    /// Whether both products plan (as brgemm where `brgemmOnly`) for every tile shape of `g`,
    /// full and edge tiles.
    func coverEveryTile(_ g: AttentionGeometry, queryBlock bq: Int, keyBlock bk: Int) -> Bool {
        guard bq > 0, bk > 0, g.headDim > 0, g.valueDim > 0 else { return false }
        let rows = Set([bq, g.queryTokens % bq].filter { $0 > 0 }), cols = Set([bk, g.keyTokens % bk].filter { $0 > 0 })
        func fits(_ plan: OneDNN.Product?) -> Bool {
            guard let plan else { return false }
            return !brgemmOnly || plan.implementation.hasPrefix("brg")
        }
        return rows.allSatisfy { r in
            cols.allSatisfy { c in fits(score(rows: r, cols: c, depth: g.headDim)) && fits(value(rows: r, cols: c, width: g.valueDim)) }
        }
    }
}
