import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// Blocked attention against the naive full-softmax attention.
@Suite struct AttentionTests {
    @Test func matchesNaiveOnRandomShapesAndBlocks() {
        var rng = SeededRandom(seed: 20)
        for trial in 0..<30 {
            let b = [1, 2].randomElement(using: &rng)!, h = [1, 3].randomElement(using: &rng)!
            let tq = [1, 2, 9, 40].randomElement(using: &rng)!, tk = [1, 5, 33, 70].randomElement(using: &rng)!
            let d = [1, 4, 16].randomElement(using: &rng)!, dv = [1, 8].randomElement(using: &rng)!
            let bq = [1, 7, 256].randomElement(using: &rng)!, bk = [1, 16, 512].randomElement(using: &rng)!
            let q = rng.tensor([b, h, tq, d]), k = rng.tensor([b, h, tk, d]), v = rng.tensor([b, h, tk, dv])
            let y = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, queryBlock: bq, keyBlock: bk)
            expectClose(y, Naive.attention(q: q, k: k, v: v), absolute: 2e-6, relative: 1e-4, "trial \(trial) blocks \(bq)x\(bk)")
        }
    }

    /// float32 attention takes a short last key block into the one before (one block of 70
    /// keys for blocks of 64), masks included; the result is the naive one.
    @Test func shortLastKeyBlockJoinsThePrevious() {
        #expect(AttentionKernel.keyBlock(512, keyTokens: 640) == 640)
        #expect(AttentionKernel.keyBlock(512, keyTokens: 1408) == 512)
        #expect(AttentionKernel.keyBlock(512, keyTokens: 768) == 512, "a second block of half a block stays")
        #expect(AttentionKernel.keyBlock(512, keyTokens: 300) == 300)
        var rng = SeededRandom(seed: 24)
        let q = rng.tensor([1, 2, 9, 8]), k = rng.tensor([1, 2, 70, 8]), v = rng.tensor([1, 2, 70, 4])
        let bias = rng.tensor([9, 70], scale: 2)
        let y = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, mask: .additive(bias), keyBlock: 64)
        expectClose(y, Naive.attention(q: q, k: k, v: v, additive: bias), absolute: 2e-6, relative: 1e-4, "70 keys, blocks of 64")
    }

    @Test func masksBroadcastLikeTorch() {
        var rng = SeededRandom(seed: 21)
        let q = rng.tensor([2, 3, 11, 8]), k = rng.tensor([2, 3, 19, 8]), v = rng.tensor([2, 3, 19, 5])
        for maskShape in [[19], [11, 19], [2, 1, 11, 19], [1, 3, 1, 19], [2, 3, 11, 1]] {
            let bias = rng.tensor(maskShape, scale: 2)
            let y = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, mask: .additive(bias), keyBlock: 4)
            expectClose(y, Naive.attention(q: q, k: k, v: v, additive: bias), absolute: 2e-6, relative: 1e-4, "additive \(maskShape)")
            let weights = rng.uniform(maskShape, in: 0...1)
            let z = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, mask: .multiplicative(weights), keyBlock: 4)
            expectClose(z, Naive.attention(q: q, k: k, v: v, multiplicative: weights), absolute: 2e-6, relative: 1e-4, "multiplicative \(maskShape)")
        }
    }

    @Test func fullyMaskedFirstBlocksAndRows() {
        // Keys 0..<8 masked for every query: with key blocks of 4 the first two blocks carry
        // no weight, which the online softmax must survive. A row with no key at all is zero,
        // as torch 2.7's CPU SDPA gives for a fully masked boolean row.
        var rng = SeededRandom(seed: 22)
        let q = rng.tensor([1, 1, 3, 4]), k = rng.tensor([1, 1, 12, 4]), v = rng.tensor([1, 1, 12, 2])
        var keep = [Float](repeating: 1, count: 3 * 12)
        for i in 0..<3 { for j in 0..<8 { keep[i * 12 + j] = 0 } }
        for j in 0..<12 { keep[2 * 12 + j] = 0 }
        let mask = Tensor(shape: [3, 12], scalars: keep)
        let y = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, mask: .multiplicative(mask), keyBlock: 4)
        let naive = Naive.attention(q: q, k: k, v: v, multiplicative: mask)
        expectClose(y.sliced(axis: 2, 0..<2), naive.sliced(axis: 2, 0..<2), absolute: 1e-6, relative: 1e-5, "masked blocks")
        #expect(y.sliced(axis: 2, 2..<3).hostScalars().allSatisfy { $0 == 0 })
    }

    @Test func tokenLayoutMatchesHeadLayout() {
        var rng = SeededRandom(seed: 23)
        let (b, t, s, h, d) = (2, 13, 17, 4, 8)
        let q = rng.tensor([b, t, h * d]), k = rng.tensor([b, s, h * d]), v = rng.tensor([b, s, h * d])
        func heads(_ x: Tensor) -> Tensor { x.reshaped([b, x.shape[1], h, d]).permuted([0, 2, 1, 3]) }
        let packed = Tensor.cpuAttention(query: q, key: k, value: v, heads: h, keyBlock: 5)
        let reference = Naive.attention(q: heads(q), k: heads(k), v: heads(v)).permuted([0, 2, 1, 3]).reshaped([b, t, h * d])
        expectClose(packed, reference, absolute: 2e-6, relative: 1e-4, "token layout")
    }

    @Test func edgeSizes() {
        var rng = SeededRandom(seed: 24)
        let noQueries = Tensor.scaledDotProductAttention(
            query: rng.tensor([1, 2, 0, 4]), key: rng.tensor([1, 2, 3, 4]), value: rng.tensor([1, 2, 3, 4]))
        #expect(noQueries.shape == [1, 2, 0, 4])
        let noKeys = Tensor.scaledDotProductAttention(
            query: rng.tensor([1, 1, 2, 4]), key: rng.tensor([1, 1, 0, 4]), value: rng.tensor([1, 1, 0, 4]))
        #expect(noKeys.hostScalars().allSatisfy { $0 == 0 }, "torch 2.7 returns zeros for no keys")
        // One key: the output is that key's value.
        let v = rng.tensor([1, 1, 1, 3])
        let one = Tensor.scaledDotProductAttention(query: rng.tensor([1, 1, 4, 2]), key: rng.tensor([1, 1, 1, 2]), value: v)
        for i in 0..<4 { #expect(one.sliced(axis: 2, i..<(i + 1)).hostScalars() == v.hostScalars()) }
    }

    @Test func scratchGrowsWithTokensTimesBlock() {
        // Doubling the tokens doubles nothing once the tiles are full: memory is per tile.
        let small = Tensor.attentionScratchBytes(queryTokens: 1408, keyTokens: 1408, workers: 2)
        let large = Tensor.attentionScratchBytes(queryTokens: 4 * 1408, keyTokens: 4 * 1408, workers: 2)
        #expect(small == large)
        #expect(small < 1408 * 1408 * 4)
    }

    /// Group weights applied run by run (a group's tokens in one stretch, the grid first)
    /// give the dense bias's result exactly, with key blocks that start and end inside runs,
    /// two batch items with their own cross weights, and a group appended twice, apart.
    @Test func groupRunsMatchTheDenseBiasAcrossKeyBlocks() {
        var rng = SeededRandom(seed: 23)
        let (b, t, heads, d) = (2, 29, 2, 8)
        let groups = (0..<t).map { $0 < 11 ? 0 : ($0 < 16 ? 1 : ($0 < 22 ? 2 : ($0 < 25 ? 1 : 3))) }
        let cross = (0..<(b * t)).map { i in i % 7 == 0 ? 0 : Float.random(in: 0.1...1, using: &rng) }
        let weights = TokenGroupWeights(groups: groups, cross: cross, batch: b, firstIsolatedGroup: 2, dtype: .f32)
        let q = rng.tensor([b, t, heads * d]), k = rng.tensor([b, t, heads * d]), v = rng.tensor([b, t, heads * d])
        for (bq, bk) in [(4, 5), (7, 13), (29, 29)] {
            let grouped = Tensor.cpuAttention(
                query: q, key: k, value: v, heads: heads, mask: .groups(weights), queryBlock: bq, keyBlock: bk)
            let dense = Tensor.cpuAttention(
                query: q, key: k, value: v, heads: heads, mask: .additive(weights.denseBias()), queryBlock: bq, keyBlock: bk)
            #expect(grouped.hostScalars() == dense.hostScalars(), "blocks \(bq) x \(bk)")
        }
    }
}
