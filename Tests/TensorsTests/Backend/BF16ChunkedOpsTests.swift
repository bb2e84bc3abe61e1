import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// bf16 activations, binary ops (broadcast or not), the AdaLN kernels and the norms run in one
/// chunked pass (`Tensor.bf16Chunked`, `Tensor.bf16Broadcast`): bit for bit what widening the
/// whole tensor, computing in float32 and rounding once gives, across chunk and thread
/// boundaries (sizes around the 4096-element chunk and the 32768-element grain) and on
/// infinities and NaN.
@Suite struct BF16ChunkedOpsTests {
    static func widenedRounded(_ t: Tensor) -> [UInt16] {
        t.cpuConverted(to: .bf16).withUnsafeHostBytes { Array($0.bindMemory(to: UInt16.self)) }
    }
    static func words(_ t: Tensor) -> [UInt16] { t.withUnsafeHostBytes { Array($0.bindMemory(to: UInt16.self)) } }
    /// How many words of `y` differ from `expected` rounded (a count, so a failure prints a
    /// number rather than two arrays of thousands of words).
    static func mismatches(_ y: Tensor, _ expected: Tensor) -> Int {
        let (a, b) = (words(y), widenedRounded(expected))
        return a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1
    }

    @Test(arguments: [1, 4095, 4097, 70_001])
    func matchesTheFloat32PathBitForBit(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        var av = rng.tensor([count], scale: 4).hostScalars(), bv = rng.tensor([count], scale: 4).hostScalars()
        if count > 3 { (av[0], av[1], av[2], bv[3]) = (.infinity, -.infinity, .nan, 0) }
        let a = Tensor(shape: [count], scalars: av).to(dtype: .bf16), b = Tensor(shape: [count], scalars: bv).to(dtype: .bf16)
        let (fa, fb) = (a.to(dtype: .f32), b.to(dtype: .f32))
        for op in [UnaryOp.exp, .sigmoid, .silu, .geluTanh] {
            let y = CPUBackend.shared.unary(op, a)
            #expect(y.dtype == .bf16)
            #expect(Self.mismatches(y, fa.cpuUnary(op)) == 0, "\(op) of \(count)")
        }
        let pairs: [(BinaryOp, Tensor)] = [
            (.add, Tensor.broadcast(fa, fb, Add.self)), (.subtract, Tensor.broadcast(fa, fb, Subtract.self)),
            (.multiply, Tensor.broadcast(fa, fb, Multiply.self)), (.divide, Tensor.broadcast(fa, fb, Divide.self)),
            (.maximum, Tensor.broadcast(fa, fb, Maximum.self)),
        ]
        for (op, expected) in pairs {
            let y = CPUBackend.shared.binary(op, a, b)
            #expect(y.dtype == .bf16)
            #expect(Self.mismatches(y, expected) == 0, "\(op) of \(count)")
        }
    }

    /// PixelNorm read from and written to bf16 words: bit for bit the widened path, with
    /// position blocks of 1024 and a remainder.
    @Test func pixelNormMatchesTheWidenedPathBitForBit() {
        var rng = SeededRandom(seed: 80)
        let x = rng.tensor([2, 12, 3, 19, 23], scale: 3).to(dtype: .bf16)
        let y = CPUBackend.shared.pixelNorm(x, eps: 1e-6)
        #expect(y.dtype == .bf16)
        let expected = x.to(dtype: .f32).cpuPixelNorm(eps: 1e-6, rounding: BF16Steps.self)
        #expect(Self.mismatches(y, expected) == 0)
    }

    /// Broadcast binary ops, modulation and the gated residual on bf16 operands, with the
    /// operand shapes the transformer uses (a `[D]` row, per-token `[B, T, D]`, a `[B, 1, D]`
    /// row per item, a scalar, a `[T, 1]` column), rows longer than a
    /// chunk included: bit for bit the float32 kernels' result rounded once.
    @Test(arguments: [[2, 7, 40], [1, 9, 5000], [3, 1100, 24]])
    func broadcastOpsMatchTheFloat32PathBitForBit(shape: [Int]) {
        var rng = SeededRandom(seed: UInt64(shape.reduce(0, +)))
        let (b, t, d) = (shape[0], shape[1], shape[2])
        var xv = rng.tensor(shape, scale: 3).hostScalars()
        (xv[0], xv[1], xv[2]) = (.infinity, -.infinity, .nan)
        let x = Tensor(shape: shape, scalars: xv).to(dtype: .bf16)
        let others = [[d], shape, [b, 1, d], [1], [t, 1], [1, 1, 1]]
        for (i, otherShape) in others.enumerated() {
            let o = rng.tensor(otherShape, scale: 2).to(dtype: .bf16), g = rng.tensor(others[(i + 1) % others.count], scale: 2).to(dtype: .bf16)
            let (fx, fo, fg) = (x.to(dtype: .f32), o.to(dtype: .f32), g.to(dtype: .f32))
            for (op, expected) in [(BinaryOp.add, Tensor.broadcast(fx, fo, Add.self)), (.multiply, Tensor.broadcast(fo, fx, Multiply.self))] {
                let y = op == .add ? CPUBackend.shared.binary(op, x, o) : CPUBackend.shared.binary(op, o, x)
                #expect(y.dtype == .bf16 && y.shape == shape)
                #expect(Self.mismatches(y, expected) == 0, "\(op) of \(shape) and \(otherShape)")
            }
            let modulated = CPUBackend.shared.modulate(x, scale: o, shift: g)
            #expect(Self.mismatches(modulated, fx.cpuModulated(scale: fo, shift: fg, roundingToBF16: true)) == 0, "\(otherShape)")
            let y = rng.tensor(shape, scale: 2).to(dtype: .bf16)
            let gated = CPUBackend.shared.gatedResidual(x, y, gate: o)
            #expect(Self.mismatches(gated, fx.cpuAddingGated(y.to(dtype: .f32), gate: fo, roundingToBF16: true)) == 0, "\(otherShape)")
        }
    }

    /// RMSNorm of bf16 rows (with and without a weight, rows of 40 and of 5000 values).
    @Test(arguments: [[3, 11, 40], [1, 4, 5000]])
    func rmsNormMatchesTheWidenedPathBitForBit(shape: [Int]) {
        var rng = SeededRandom(seed: 81)
        let x = rng.tensor(shape, scale: 3).to(dtype: .bf16), w = rng.tensor([shape[2]], scale: 1).to(dtype: .bf16)
        for weight in [nil, w] {
            let y = CPUBackend.shared.rmsNorm(x, weight: weight, eps: 1e-6)
            #expect(y.dtype == .bf16)
            let expected = x.to(dtype: .f32).cpuRMSNorm(weight: weight?.to(dtype: .f32), eps: 1e-6)
            #expect(Self.mismatches(y, expected) == 0, "weight \(weight != nil)")
        }
    }

    /// RoPE of bf16 `[B, T, D]` with bf16 tables, both layouts, a table batch of 1 and of B:
    /// bit for bit the widened path (`cpuRoPE` with `BF16Steps`, rounded once).
    @Test(arguments: [RoPELayout.interleaved, .split])
    func ropeMatchesTheWidenedPathBitForBit(layout: RoPELayout) {
        var rng = SeededRandom(seed: 82)
        let (b, t, heads, half) = (2, 9, 3, 4)
        let x = rng.tensor([b, t, heads * half * 2], scale: 3).to(dtype: .bf16)
        for tableBatch in [1, b] {
            let tableShape = layout == .interleaved ? [tableBatch, t, heads * half * 2] : [tableBatch, heads, t, half]
            let cos = rng.tensor(tableShape, scale: 1).to(dtype: .bf16), sin = rng.tensor(tableShape, scale: 1).to(dtype: .bf16)
            let y = CPUBackend.shared.rope(x, cos: cos, sin: sin, layout: layout)
            #expect(y.dtype == .bf16)
            let expected = x.to(dtype: .f32).cpuRoPE(
                cos: cos.to(dtype: .f32), sin: sin.to(dtype: .f32), layout: layout, rounding: BF16Steps.self)
            #expect(Self.mismatches(y, expected) == 0, "\(layout), table batch \(tableBatch)")
        }
    }

    /// GroupNorm of bf16 `[B, C, F, H, W]` with groups longer than a piece (statistics summed
    /// across pieces) and a tail: bit for bit the widened path.
    @Test func groupNormMatchesTheWidenedPathBitForBit() {
        var rng = SeededRandom(seed: 83)
        let x = rng.tensor([2, 8, 3, 37, 41], scale: 3).to(dtype: .bf16)
        let w = rng.tensor([8], scale: 1).to(dtype: .bf16), b = rng.tensor([8], scale: 1).to(dtype: .bf16)
        for (weight, bias) in [(nil, nil), (w, b)] as [(Tensor?, Tensor?)] {
            let y = CPUBackend.shared.groupNorm(x, groups: 4, weight: weight, bias: bias, eps: 1e-5)
            #expect(y.dtype == .bf16)
            let expected = x.to(dtype: .f32).cpuGroupNorm(groups: 4, weight: weight?.to(dtype: .f32), bias: bias?.to(dtype: .f32), eps: 1e-5)
            #expect(Self.mismatches(y, expected) == 0, "weight \(weight != nil)")
        }
    }

    /// Group statistics summed piece by piece equal the contiguous sums exactly (pieces of a
    /// multiple of 8 values), so the bf16 GroupNorm's mean and variance are the float32 one's.
    @Test(arguments: [8, 64, 4096])
    func piecewiseStatisticsEqualContiguousOnes(pieceLength: Int) {
        var rng = SeededRandom(seed: 84)
        let values = rng.tensor([10_007], scale: 5).hostScalars()
        values.withUnsafeBufferPointer { p in
            let whole = Reductions.meanAndVariance(p.baseAddress!, p.count)
            let pieces = Reductions.meanAndVariance(count: p.count, pieceLength: pieceLength) { start, _ in p.baseAddress! + start }
            #expect(whole.mean.bitPattern == pieces.mean.bitPattern && whole.variance.bitPattern == pieces.variance.bitPattern)
        }
    }

    /// Layout ops move bf16 words as they are: permute, slice, concat, spaceToDepth and
    /// depthToSpace give the float32 path's values, in bf16, without a float32 copy.
    @Test func layoutOpsMoveBF16WordsAsTheFloat32PathDoes() {
        var rng = SeededRandom(seed: 85)
        let x = rng.tensor([2, 3, 4, 6, 8], scale: 3).to(dtype: .bf16), fx = x.to(dtype: .f32)
        let b = CPUBackend.shared
        let cases: [(String, Tensor, Tensor)] = [
            ("permute", b.permute(x, axes: [0, 2, 4, 1, 3]), fx.cpuPermuted([0, 2, 4, 1, 3])),
            ("slice", b.slice(x, axis: 3, range: 1..<5), fx.cpuSliced(axis: 3, 1..<5)),
            ("concat", b.concat([x, x.cpuSliced(axis: 1, 0..<2)], axis: 1),
             Tensor.cpuConcatenated([fx, fx.cpuSliced(axis: 1, 0..<2)], axis: 1)),
            ("spaceToDepth", b.spaceToDepth(x, factors: [2, 2, 4], order: .timeWidthHeight),
             fx.cpuSpaceToDepth([2, 2, 4], order: .timeWidthHeight)),
            ("depthToSpace", b.depthToSpace(x.reshaped([2, 12, 1, 6, 8]), factors: [1, 2, 2], order: .timeHeightWidth),
             fx.reshaped([2, 12, 1, 6, 8]).cpuDepthToSpace([1, 2, 2], order: .timeHeightWidth)),
        ]
        for (name, y, expected) in cases {
            #expect(y.dtype == .bf16 && y.shape == expected.shape, "\(name)")
            #expect(Self.mismatches(y, expected) == 0, "\(name)")
        }
    }

    /// A region added into a bf16 tensor in place (bf16 or float32 values, rows longer than a
    /// piece): the widened path's result, and a tensor sharing the old storage keeps its values.
    @Test func addRegionIntoBF16MatchesTheWidenedPath() {
        var rng = SeededRandom(seed: 86)
        let base = rng.tensor([1, 3, 5, 7, 4500], scale: 2).to(dtype: .bf16)
        for values in [rng.tensor([1, 2, 3, 4, 4400], scale: 2).to(dtype: .bf16), rng.tensor([1, 2, 3, 4, 4400], scale: 2)] {
            var y = base
            CPUBackend.shared.addRegion(&y, values, offsets: [0, 1, 2, 3, 50])
            var expected = base.to(dtype: .f32)
            expected.cpuAddRegion(values.to(dtype: .f32), offsets: [0, 1, 2, 3, 50])
            #expect(y.dtype == .bf16)
            #expect(Self.mismatches(y, expected) == 0, "\(values.dtype) values")
            #expect(Self.words(base) != Self.words(y), "the shared storage was copied, not written")
        }
    }

    /// A linear with an activation applies it in place on the product: bit for bit the product
    /// followed by the separate activation, in bf16 (chunk and grain boundaries crossed) and in
    /// float32; and activating a tensor whose storage another tensor shares leaves that one as it was.
    @Test(arguments: [DType.bf16, .f32])
    func linearActivationInPlaceMatchesTheSeparateOp(dtype: DType) {
        var rng = SeededRandom(seed: 87)
        let x = rng.tensor([3, 70, 40], scale: 2).to(dtype: dtype), w = rng.tensor([330, 40], scale: 0.5).to(dtype: dtype)
        let bias = rng.tensor([330], scale: 1).to(dtype: dtype)
        for op in [UnaryOp.geluTanh, .silu] {
            let fused = CPUBackend.shared.linear(x, weight: w, bias: bias, activation: op)
            let separate = CPUBackend.shared.unary(op, CPUBackend.shared.linear(x, weight: w, bias: bias))
            #expect(fused.dtype == dtype && fused.shape == [3, 70, 330])
            #expect(fused.hostScalars().map(\.bitPattern) == separate.hostScalars().map(\.bitPattern), "\(op) in \(dtype)")
        }
        let shared = rng.tensor([5000], scale: 3).to(dtype: dtype)
        var activated = shared
        let gelu = UnaryOp.geluTanh.activationKind!
        let done = activated.activateInPlace(gelu)
        #expect(done)
        #expect(shared.hostScalars() != activated.hostScalars(), "the shared storage was copied, not written")
        var kept = rng.tensor([8], scale: 1).to(dtype: .f16)
        let doneOnF16 = kept.activateInPlace(gelu)
        #expect(!doneOnF16, "f16 is left to the general path")
    }
}
