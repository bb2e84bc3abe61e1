internal import CKernels

/// Broadcast element-wise ops, norms (RMS per row, group) and RoPE on bf16 operands with a bf16
/// result, in one pass: each piece of a row is widened (exactly) into a small float32 buffer, computed there and rounded once into the output's words. The values
/// are bit for bit those of the general path (widen every operand whole, compute in float32,
/// round the whole result), without its float32 copies: in a bf16 transformer step every AdaLN
/// add, modulation, gated residual and RMSNorm made three full float32 passes over a
/// `[T, D]` tensor, a fifth of the step.
extension Tensor {
    /// `body(o, a, b, m)` writes `m` results into `o`, which holds the widened piece of `x`
    /// (when given; scratch otherwise), from `a` and `b` broadcast to `shape` (widened pieces
    /// of `m` values each). `x`, when given, has `shape`.
    static func bf16Broadcast(
        shape: [Int], _ x: Tensor?, _ a: Tensor, _ b: Tensor,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let n = shape.reduce(1, *)
        let plan = BroadcastPlan(outShape: shape, lhs: a.shape, rhs: b.shape)
        let inner = plan.extents[plan.extents.count - 1]
        let la = plan.lhsStrides[plan.extents.count - 1], lb = plan.rhsStrides[plan.extents.count - 1]
        let outer = plan.outer
        let piece = Swift.min(inner, bf16Chunk)
        let piecesPerRow = inner == 0 ? 0 : (inner + piece - 1) / piece
        let rows = inner == 0 ? 0 : n / inner
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            (x ?? a).withUnsafeHostBytes { xr in
                a.withUnsafeHostBytes { ar in
                    b.withUnsafeHostBytes { br in
                        let px = xr.bindMemory(to: UInt16.self).baseAddress, pa = ar.bindMemory(to: UInt16.self).baseAddress
                        let pb = br.bindMemory(to: UInt16.self).baseAddress
                        guard n > 0, let px, let pa, let pb, let po = out.baseAddress else { return }
                        let hasX = x != nil
                        parallelFor(rows * piecesPerRow, grain: Swift.max(1, (1 << 15) / piece)) { range in
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * piece) { buffer in
                                let o = buffer.baseAddress!, va = o + piece, vb = va + piece
                                for item in range {
                                    let row = item / piecesPerRow, start = (item % piecesPerRow) * piece
                                    let m = Swift.min(piece, inner - start)
                                    let (offA, offB) = outer.offsets(row)
                                    widenBF16(pa + offA, stride: la, from: start, count: m, into: va)
                                    widenBF16(pb + offB, stride: lb, from: start, count: m, into: vb)
                                    if hasX { reelflow_bf16_to_f32(px + row * inner + start, o, m) }
                                    body(o, va, vb, m)
                                    reelflow_f32_to_bf16(o, po + row * inner + start, m)
                                }
                            }
                        }
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// Elements `first ..< first + count` of a row read at `stride` words apart (0: one value
    /// repeated), widened into `into`.
    @inline(__always)
    private static func widenBF16(_ p: UnsafePointer<UInt16>, stride: Int, from first: Int, count: Int, into d: UnsafeMutablePointer<Float>) {
        switch stride {
        case 1: reelflow_bf16_to_f32(p + first, d, count)
        case 0: d.update(repeating: Float(bitPattern: UInt32(p[0]) << 16), count: count)
        default: for j in 0..<count { d[j] = Float(bitPattern: UInt32(p[(first + j) * stride]) << 16) }
        }
    }

    /// `K` of two bf16 tensors broadcast to each other, rounded once to bf16.
    static func cpuBinaryBF16<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type) -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            fatalError("\(K.name): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        if let op = K.wordOp, let words = bf16Rows(shape: shape, a, b, { reelflow_bf16_binary(op, $0, $1, $2, $3) }) {
            return words
        }
        return bf16Broadcast(shape: shape, nil, a, b) { o, x, y, m in
            for k in 0..<m { o[k] = K.apply(x[k], y[k]) }
        }
    }

    /// `x * (1 + scale) + shift` of bf16 operands with torch's bf16 rounding after each step.
    func cpuModulatedBF16(scale: Tensor, shift: Tensor) -> Tensor {
        if let words = Tensor.bf16Rows(shape: shape, self, scale, shift, reelflow_bf16_modulate) { return words }
        return Tensor.bf16Broadcast(shape: shape, self, scale, shift) { o, s, h, m in
            for k in 0..<m { o[k] = BF16Steps.r(BF16Steps.r(o[k] * BF16Steps.r(1 + s[k])) + h[k]) }
        }
    }

    /// `x + y * gate` of bf16 operands with torch's bf16 rounding after each step.
    func cpuAddingGatedBF16(_ y: Tensor, gate: Tensor) -> Tensor {
        if let words = Tensor.bf16Rows(shape: shape, self, y, gate, reelflow_bf16_add_gated) { return words }
        return Tensor.bf16Broadcast(shape: shape, self, y, gate) { o, y, g, m in
            for k in 0..<m { o[k] = BF16Steps.r(o[k] + BF16Steps.r(y[k] * g[k])) }
        }
    }

    /// `kernel(x, a, b, out, m)` over pieces of rows where `a` and `b` run along the last axis
    /// with `x` (which has `shape`): bf16 words in, bf16 words out, no float buffers (the C row
    /// kernels). nil where an operand repeats along the last axis; `bf16Broadcast` takes those.
    static func bf16Rows(
        shape: [Int], _ x: Tensor, _ a: Tensor, _ b: Tensor,
        _ kernel: (UnsafePointer<UInt16>, UnsafePointer<UInt16>, UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>, Int) -> Void
    ) -> Tensor? {
        x.withUnsafeHostBytes { xr in
            let px = xr.bindMemory(to: UInt16.self).baseAddress
            return bf16RowPieces(shape: shape, a, b) { pa, pb, out, at, m in kernel(px! + at, pa, pb, out + at, m) }
        }
    }

    /// `kernel(a, b, out, m)` of two bf16 operands broadcast to `shape` over pieces of rows where
    /// both run along the last axis (`reelflow_bf16_binary`); nil where one repeats along it.
    static func bf16Rows(
        shape: [Int], _ a: Tensor, _ b: Tensor,
        _ kernel: (UnsafePointer<UInt16>, UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>, Int) -> Void
    ) -> Tensor? {
        bf16RowPieces(shape: shape, a, b) { pa, pb, out, at, m in kernel(pa, pb, out + at, m) }
    }

    /// The output of `shape` in pieces of rows, in parallel: `piece(a, b, out, at, m)` gets `a`'s
    /// and `b`'s words for the `m` outputs from flat index `at` of the output's words `out`.
    /// nil (nothing run) unless both operands run along the last axis.
    private static func bf16RowPieces(
        shape: [Int], _ a: Tensor, _ b: Tensor,
        _ piece: (UnsafePointer<UInt16>, UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>, Int, Int) -> Void
    ) -> Tensor? {
        let n = shape.reduce(1, *)
        let plan = BroadcastPlan(outShape: shape, lhs: a.shape, rhs: b.shape)
        let last = plan.extents.count - 1
        guard n > 0, last >= 0, plan.lhsStrides[last] == 1, plan.rhsStrides[last] == 1 else { return nil }
        let inner = plan.extents[last], outer = plan.outer
        let width = Swift.min(inner, bf16Chunk)
        let piecesPerRow = (inner + width - 1) / width, rows = n / inner
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            a.withUnsafeHostBytes { ar in
                b.withUnsafeHostBytes { br in
                    let pa = ar.bindMemory(to: UInt16.self).baseAddress!, pb = br.bindMemory(to: UInt16.self).baseAddress!
                    let po = out.baseAddress!
                    parallelFor(rows * piecesPerRow, grain: Swift.max(1, (1 << 15) / width)) { range in
                        for item in range {
                            let row = item / piecesPerRow, start = (item % piecesPerRow) * width
                            let (offA, offB) = outer.offsets(row)
                            piece(pa + offA + start, pb + offB + start, po, row * inner + start, Swift.min(width, inner - start))
                        }
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// `cpuRMSNorm` of a bf16 tensor (weight bf16, float32 or none), rounded once to bf16, row
    /// by row.
    func cpuRMSNormBF16(weight: Tensor?, eps: Float) -> Tensor {
        require(rank >= 1, "rmsNorm needs at least one axis")
        let n = shape[rank - 1]
        if let weight { require(weight.shape == [n], "rmsNorm weight must be [\(n)], got \(weight.shape)") }
        let rows = n == 0 ? 0 : count / n
        let w = weight?.hostScalars() ?? []
        let words = [UInt16](unsafeUninitializedCapacity: count) { out, initialized in
            withUnsafeHostBytes { raw in
                w.withUnsafeBufferPointer { wp in
                    let wb = weight == nil ? nil : wp.baseAddress
                    guard rows > 0, let s = raw.bindMemory(to: UInt16.self).baseAddress, let d = out.baseAddress else { return }
                    parallelFor(rows, grain: Swift.max(1, 16_384 / n)) { range in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { buffer in
                            let y = buffer.baseAddress!
                            for r in range {
                                reelflow_bf16_to_f32(s + r * n, y, n)
                                NormRows.rms(y, y, n, eps: eps, weight: wb)
                                reelflow_f32_to_bf16(y, d + r * n, n)
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// `cpuGroupNorm` of a bf16 `[B, C, ...]` (weight and bias bf16 or none), rounded once to
    /// bf16: each group's statistics are summed over widened pieces in the float32 kernel's
    /// order (`Reductions.meanAndVariance(count:pieceLength:_:)`), then each piece is widened
    /// again, normalised and rounded.
    func cpuGroupNormBF16(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        require(rank >= 2, "groupNorm needs [B, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1]
        require(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels in \(groups) groups")
        if let weight { require(weight.shape == [channels], "groupNorm weight must be [\(channels)]") }
        if let bias { require(bias.shape == [channels], "groupNorm bias must be [\(channels)]") }
        let spatial = shape[2...].reduce(1, *), perGroup = channels / groups, n = count
        let w = weight?.hostScalars() ?? [], b = bias?.hostScalars() ?? []
        let piece = Tensor.bf16Chunk
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { raw in
                guard n > 0, let s = raw.bindMemory(to: UInt16.self).baseAddress, let d = out.baseAddress else { return }
                parallelFor(batch * groups) { range in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: piece) { buffer in
                        let x = buffer.baseAddress!
                        for item in range {
                            let g = item % groups, base = item * perGroup * spatial
                            let (mean, variance) = Reductions.meanAndVariance(count: perGroup * spatial, pieceLength: piece) {
                                start, count in
                                reelflow_bf16_to_f32(s + base + start, x, count)
                                return UnsafePointer(x)
                            }
                            let m = Float(mean), inv = Float(1 / (variance + Double(eps)).squareRoot())
                            for cl in 0..<perGroup {
                                let c = g * perGroup + cl
                                let scale = inv * (w.isEmpty ? 1 : w[c])
                                let shift = (b.isEmpty ? 0 : b[c]) - m * scale
                                let row = base + cl * spatial
                                var j = 0
                                while j < spatial {
                                    let count = Swift.min(piece, spatial - j)
                                    reelflow_bf16_to_f32(s + row + j, x, count)
                                    for k in 0..<count { x[k] = x[k] * scale + shift }
                                    reelflow_f32_to_bf16(x, d + row + j, count)
                                    j += count
                                }
                            }
                        }
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// `cpuRoPE` with torch's bf16 step rounding on a bf16 tensor and bf16 tables, row by row:
    /// each row and its tables (per head, for the split layout) are widened into small buffers,
    /// rotated by the float32 kernel's row arithmetic and rounded once.
    func cpuRoPEBF16(cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        let (b, t, width, tableBatch, heads, half) = ropeGeometry(cos: cos, sin: sin, layout: layout)
        let n = count, tableWidth = heads * half * (layout == .interleaved ? 2 : 1)
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { xr in
                cos.withUnsafeHostBytes { cr in
                    sin.withUnsafeHostBytes { sr in
                        let px = xr.bindMemory(to: UInt16.self).baseAddress, pc = cr.bindMemory(to: UInt16.self).baseAddress
                        let ps = sr.bindMemory(to: UInt16.self).baseAddress
                        guard n > 0, let px, let pc, let ps, let po = out.baseAddress else { return }
                        if layout == .split {
                            // Straight from words to words: the C row kernel.
                            parallelFor(b * t, grain: Swift.max(1, 8192 / Swift.max(1, width))) { range in
                                for row in range {
                                    let (offset, headStride) = Tensor.ropeTableRow(
                                        row, tokens: t, tableBatch: tableBatch, heads: heads, half: half, layout: layout)
                                    reelflow_bf16_rope_split_row(
                                        px + row * width, pc + offset, ps + offset, heads, half, headStride, po + row * width)
                                }
                            }
                            return
                        }
                        parallelFor(b * t, grain: Swift.max(1, 8192 / Swift.max(1, width))) { range in
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width + 2 * tableWidth) { buffer in
                                let x = buffer.baseAddress!, y = x + width, c = y + width, s = c + tableWidth
                                for row in range {
                                    let (offset, headStride) = Tensor.ropeTableRow(
                                        row, tokens: t, tableBatch: tableBatch, heads: heads, half: half, layout: layout)
                                    reelflow_bf16_to_f32(px + row * width, x, width)
                                    if layout == .interleaved {
                                        reelflow_bf16_to_f32(pc + offset, c, tableWidth)
                                        reelflow_bf16_to_f32(ps + offset, s, tableWidth)
                                    } else {
                                        for h in 0..<heads {
                                            reelflow_bf16_to_f32(pc + offset + h * headStride, c + h * half, half)
                                            reelflow_bf16_to_f32(ps + offset + h * headStride, s + h * half, half)
                                        }
                                    }
                                    Tensor.ropeRow(
                                        x, y, cos: c, sin: s, width: width, heads: heads, half: half, headStride: half,
                                        layout: layout, rounding: BF16Steps.self)
                                    reelflow_f32_to_bf16(y, po + row * width, width)
                                }
                            }
                        }
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }
}
