import CKernels
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// The C rows of the split rotary embedding give the Swift kernel's bits (`Tensor.ropeRow`):
/// float32 without rounding, bf16 with torch's roundings, dispatched (AVX-512) and plain C
/// builds, for head halves on and off the 16-lane vectors and tables rows apart per head.
@Suite struct RoPERowKernelTests {
    static let shapes = [(1, 16), (2, 32), (3, 24), (2, 7), (1, 64), (4, 40)]

    /// The fused QK norm and RoPE gives the bits of `rmsNorm` then `applyingRoPE`, both
    /// layouts, with and without a norm weight, tables shared over the batch.
    @Test(arguments: RoPELayout.allCases, [false, true])
    func rmsNormRoPEMatchesTheTwoOps(layout: RoPELayout, weighted: Bool) {
        var rng = SeededRandom(seed: weighted ? 31 : 32)
        let (b, t, heads, half) = (2, 7, 4, 8)
        let width = 2 * heads * half
        let x = rng.tensor([b, t, width], scale: 3), weight = weighted ? rng.tensor([width]) : nil
        let tableShape = layout == .split ? [1, heads, t, half] : [1, t, width]
        let cos = rng.tensor(tableShape), sin = rng.tensor(tableShape)
        let fused = x.rmsNormRoPE(weight: weight, eps: 1e-6, cos: cos, sin: sin, layout: layout)
        let apart = x.rmsNorm(weight: weight, eps: 1e-6).applyingRoPE(cos: cos, sin: sin, layout: layout)
        #expect(fused.hostScalars().map(\.bitPattern) == apart.hostScalars().map(\.bitPattern))
        // Sanity mutation: RoPE without the norm differs.
        #expect(fused != x.applyingRoPE(cos: cos, sin: sin, layout: layout))
    }

    @Test func float32RowsMatchSwift() {
        for (heads, half) in Self.shapes {
            let width = 2 * heads * half, stride = half + 5
            var rng = SeededRandom(seed: UInt64(heads * 100 + half))
            let x = (0..<width).map { _ in Float.random(in: -3...3, using: &rng) }
            let c = (0..<(heads * stride)).map { _ in Float.random(in: -1...1, using: &rng) }
            let s = (0..<(heads * stride)).map { _ in Float.random(in: -1...1, using: &rng) }
            var expected = [Float](repeating: 0, count: width)
            Tensor.ropeRow(x, &expected, cos: c, sin: s, width: width, heads: heads, half: half, headStride: stride, layout: .split, rounding: ExactSteps.self)
            for kernel in [reelflow_f32_rope_split_row, reelflow_f32_rope_split_row_portable] {
                var y = [Float](repeating: .nan, count: width)
                kernel(x, c, s, heads, half, stride, &y)
                #expect(zip(y, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(heads) heads of \(half)")
            }
        }
    }

    @Test func bf16RowsMatchSwift() {
        for (heads, half) in Self.shapes {
            let width = 2 * heads * half, stride = half + 3
            var rng = SeededRandom(seed: UInt64(heads * 10 + half))
            func words(_ n: Int, _ range: ClosedRange<Float>) -> [UInt16] { (0..<n).map { _ in BFloat16.bits(from: Float.random(in: range, using: &rng)) } }
            let x = words(width, -3...3), c = words(heads * stride, -1...1), s = words(heads * stride, -1...1)
            let wide = { (w: [UInt16]) in w.map { BFloat16.float(fromBits: $0) } }
            var out = [Float](repeating: 0, count: width)
            Tensor.ropeRow(wide(x), &out, cos: wide(c), sin: wide(s), width: width, heads: heads, half: half, headStride: stride, layout: .split, rounding: BF16Steps.self)
            let expected = out.map { BFloat16.bits(from: $0) }
            for kernel in [reelflow_bf16_rope_split_row, reelflow_bf16_rope_split_row_portable] {
                var y = [UInt16](repeating: 0xDEAD, count: width)
                kernel(x, c, s, heads, half, stride, &y)
                #expect(y == expected, "\(heads) heads of \(half)")
            }
        }
    }
}
