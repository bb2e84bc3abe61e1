import CKernels
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// float32 attention on oneDNN's brgemm tiles (`OneDNNFloatTileProducts`, dense head copies)
/// against OpenBLAS's tiles on the heads in place: both sum float32 products in their own
/// orders, so the outputs agree to float32 rounding, not bit for bit. Shapes cover partial
/// query and key blocks, head widths of 16-128, values narrower and wider than the keys, the
/// three mask kinds and the scale.
@Suite(.serialized) struct OneDNNFloatAttentionTests {
    /// oneDNN has brgemm kernels for these tiles from AVX-512 on; elsewhere the path is off.
    static let expected = OneDNN.enabled && reelflow_cpu_vector_level() >= 2

    struct Case: Sendable, CustomTestStringConvertible {
        var tokens: Int, keys: Int, heads: Int, depth: Int, width: Int, mask: Int
        var testDescription: String { "\(tokens)x\(keys) tokens, \(heads) heads of \(depth)/\(width), mask kind \(mask)" }
    }

    static let cases: [Case] = [
        Case(tokens: 37, keys: 37, heads: 3, depth: 32, width: 32, mask: 0),
        Case(tokens: 70, keys: 129, heads: 2, depth: 64, width: 64, mask: 0),
        Case(tokens: 33, keys: 600, heads: 1, depth: 128, width: 128, mask: 1),
        Case(tokens: 20, keys: 45, heads: 2, depth: 96, width: 48, mask: 2),
        Case(tokens: 50, keys: 50, heads: 2, depth: 16, width: 80, mask: 3),
    ]

    func mask(_ kind: Int, _ c: Case, _ rng: inout SeededRandom) -> AttentionMask? {
        switch kind {
        case 1: .additive(rng.tensor([c.tokens, c.keys], scale: 2))
        case 2: .multiplicative(Tensor(shape: [c.tokens, c.keys], scalars: rng.tensor([c.tokens, c.keys]).hostScalars().map { Swift.abs($0) }))
        case 3:
            // Self-attention only: the grid, then two appended groups, the second isolated;
            // cross weights in (0, 1], every seventh 0.
            .groups(TokenGroupWeights(
                groups: (0..<c.keys).map { $0 < 30 ? 0 : $0 < 40 ? 1 : 2 },
                cross: (0..<(2 * c.keys)).map { $0 % 7 == 0 ? 0 : Float($0 % 5 + 1) / 5 }, batch: 2,
                firstIsolatedGroup: 2, dtype: .f32))
        default: nil
        }
    }

    @Test(.enabled(if: OneDNNFloatAttentionTests.expected, "oneDNN has no float32 brgemm tiles here"), arguments: cases)
    func matchesOpenBLASTiles(c: Case) throws {
        var rng = SeededRandom(seed: UInt64(c.tokens * 31 + c.keys * 7 + c.depth))
        let q = rng.tensor([2, c.tokens, c.heads * c.depth])
        let k = rng.tensor([2, c.keys, c.heads * c.depth])
        let v = rng.tensor([2, c.keys, c.heads * c.width])
        let m = mask(c.mask, c, &rng)
        for (bq, bk) in [(16, 32), (7, 64), (256, 512)] {
            func run() -> Tensor {
                Tensor.cpuAttention(query: q, key: k, value: v, heads: c.heads, mask: m, scale: 0.3, queryBlock: bq, keyBlock: bk)
            }
            let g = AttentionGeometry(
                batch: 2, heads: c.heads, queryTokens: c.tokens, keyTokens: c.keys, headDim: c.depth, valueDim: c.width,
                query: HeadLayout(batchStride: 0, headStride: 0, rowStride: 0), key: HeadLayout(batchStride: 0, headStride: 0, rowStride: 0),
                value: HeadLayout(batchStride: 0, headStride: 0, rowStride: 0), output: HeadLayout(batchStride: 0, headStride: 0, rowStride: 0))
            #expect(OneDNNFloatTileProducts.canTake(g, queryBlock: min(bq, c.tokens), keyBlock: min(bk, c.keys)))
            let tiles = run()
            OneDNNFloatTileProducts.enabled = false
            defer { OneDNNFloatTileProducts.enabled = true }
            let reference = run()
            let x = tiles.hostScalars(), y = reference.hostScalars()
            let largest = y.map(abs).max() ?? 0
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= largest * 2e-6, "tiles \(bq) x \(bk): \(worst) of \(largest)")
        }
    }
}
