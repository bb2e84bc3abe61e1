import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// GEMM-backed ops against the naive triple loop (Support/Naive.swift).
@Suite struct MatmulTests {
    @Test func matmulMatchesNaiveOnRandomShapes() {
        var rng = SeededRandom(seed: 1)
        let extents = [0, 1, 2, 3, 7, 16, 33]
        for trial in 0..<60 {
            let m = extents.randomElement(using: &rng)!, k = extents.randomElement(using: &rng)!
            let n = extents.randomElement(using: &rng)!
            let batch = [[], [1], [2], [2, 3], [0]].randomElement(using: &rng)!
            let ta = Bool.random(using: &rng), tb = Bool.random(using: &rng)
            let a = rng.tensor(batch + (ta ? [k, m] : [m, k]))
            let b = rng.tensor(batch + (tb ? [n, k] : [k, n]))
            let y = Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
            if batch.isEmpty {
                expectClose(y, Naive.matmul(a, b, transposeA: ta, transposeB: tb), absolute: 1e-5, relative: 1e-5, "trial \(trial)")
            } else {
                let naive = Naive.matmul(a, b, transposeA: ta, transposeB: tb)
                expectClose(y, naive, absolute: 1e-5, relative: 1e-5, "trial \(trial) \(batch) \(m)x\(k)x\(n)")
            }
        }
    }

    @Test func matmulBroadcastsASharedMatrix() {
        var rng = SeededRandom(seed: 2)
        let a = rng.tensor([2, 3, 5, 4]), b = rng.tensor([4, 6])
        let y = Tensor.matmul(a, b)
        #expect(y.shape == [2, 3, 5, 6])
        expectClose(y, Naive.matmul(a, b), absolute: 1e-5, relative: 1e-5, "shared B")
        // Many small products take the parallel path; it must agree with the serial one.
        let many = rng.tensor([64, 8, 8]), bm = rng.tensor([64, 8, 8])
        expectClose(Tensor.matmul(many, bm), Naive.matmul(many, bm), absolute: 1e-5, relative: 1e-5, "many small")
    }

    @Test func linearMatchesNaive() {
        var rng = SeededRandom(seed: 3)
        for (rows, inF, outF) in [(0, 4, 3), (1, 1, 1), (5, 0, 3), (7, 13, 0), (2, 17, 9), (64, 40, 33)] {
            let x = rng.tensor([rows, inF]), w = rng.tensor([outF, inF]), b = rng.tensor([outF])
            expectClose(x.linear(weight: w, bias: b), Naive.linear(x, weight: w, bias: b), absolute: 1e-5, relative: 1e-5, "bias \(rows)x\(inF)x\(outF)")
            expectClose(x.linear(weight: w), Naive.linear(x, weight: w, bias: nil), absolute: 1e-5, relative: 1e-5, "no bias")
        }
        let x3 = rng.tensor([2, 3, 8]), w = rng.tensor([5, 8])
        #expect(x3.linear(weight: w).shape == [2, 3, 5])
    }

    @Test func linearBiasIsNotTheWeight() {
        // Sanity mutation: a transposed weight read must not pass.
        var rng = SeededRandom(seed: 4)
        let x = rng.tensor([3, 6]), w = rng.tensor([6, 6])
        expectFar(x.linear(weight: w), Naive.matmul(x, w), absolute: 1e-4, relative: 1e-4, "x·W instead of x·Wᵀ")
    }
}
