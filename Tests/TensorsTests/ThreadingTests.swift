import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// Results must not depend on the thread count: chunks are disjoint and every element's
/// arithmetic is the same whichever thread computes it.
@Suite(.serialized) struct ThreadingTests {
    @Test func resultsAreIdenticalForOneAndManyThreads() {
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        var rng = SeededRandom(seed: 50)
        let x = rng.tensor([2, 8, 3, 9, 10]), w = rng.tensor([4, 8, 3, 3, 3])
        let q = rng.tensor([1, 4, 50, 16]), k = rng.tensor([1, 4, 60, 16]), v = rng.tensor([1, 4, 60, 16])
        func run() -> [Tensor] {
            [
                x.causalConv3d(weight: w), x.pixelNorm(), x.groupNorm(groups: 4), x.silu(),
                x.permuted([0, 2, 3, 4, 1]),
                Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, queryBlock: 16, keyBlock: 16),
            ]
        }
        TensorThreads.count = 1
        #expect(TensorThreads.count == 1)
        let single = run()
        TensorThreads.count = 4
        #expect(TensorThreads.count == 4)
        let multi = run()
        for (a, b) in zip(single, multi) { #expect(a == b) }
        TensorThreads.count = 0
        #expect(TensorThreads.count == 1, "counts below 1 clamp to 1")
    }

    /// (Other suites run attention concurrently, so only what holds inside a section is
    /// checked: outside, another test's section may hold OpenBLAS at one thread.)
    @Test func singleThreadedSectionsNest() {
        TensorThreads.withSingleThreadedBLAS {
            #expect(BLAS.threadCount() == 1)
            TensorThreads.withSingleThreadedBLAS { #expect(BLAS.threadCount() == 1) }
            #expect(BLAS.threadCount() == 1, "the outer section still holds OpenBLAS at one thread")
            let current = TensorThreads.count
            TensorThreads.count = current  // setting the count inside must not raise it
            #expect(BLAS.threadCount() == 1)
        }
    }
}

/// Stopping OpenBLAS's idle workers must leave BLAS working, on all its threads. An exit
/// test: the body runs in a child process of its own, because stopping the pool while another
/// test's GEMM runs would break that GEMM.
@Suite struct IdleBLASThreadTests {
    @Test func gemmWorksOnEveryThreadAfterTheIdleWorkersStop() async {
        await #expect(processExitsWith: .success) {
            guard TensorThreads.stopIdleBLASThreads() else {
                // This OpenBLAS cannot stop its workers (an OpenMP build): nothing to check.
                return
            }
            TensorThreads.count = 2
            // Big enough (2^27 multiply-adds) that OpenBLAS splits it across its threads,
            // which it must restart.
            var rng = SeededRandom(seed: 77)
            let x = rng.tensor([512, 512]), w = rng.tensor([512, 512])
            let fast = x.linear(weight: w)
            let (xv, wv, yv) = (x.hostScalars(), w.hostScalars(), fast.hostScalars())
            for (i, j) in [(0, 0), (511, 511), (100, 400), (300, 7)] {
                let expected = (0..<512).reduce(0.0) { $0 + Double(xv[i * 512 + $1]) * Double(wv[j * 512 + $1]) }
                if abs(Double(yv[i * 512 + j]) - expected) > 1e-3 { fatalError("linear after stopping the idle workers is off at (\(i), \(j))") }
            }
            if BLAS.threadCount() != 2 { fatalError("OpenBLAS runs \(BLAS.threadCount()) threads, expected 2") }
        }
    }

    /// Attention leaves OpenBLAS at one thread when it ends (no wake-up of the pool per call);
    /// small products stay there too (split on the TensorThreads pool); the next large GEMM
    /// gets `count` threads back. In a child process, so no
    /// other test's section interferes.
    @Test func poolIsRestoredLazilyBeforeTheNextGEMM() async {
        await #expect(processExitsWith: .success) {
            TensorThreads.count = 2
            var rng = SeededRandom(seed: 5)
            let q = rng.tensor([1, 2, 40, 8])
            _ = Tensor.scaledDotProductAttention(query: q, key: q, value: q)
            _ = Tensor.scaledDotProductAttention(query: q, key: q, value: q)
            if BLAS.threadCount() != 1 { fatalError("after attention OpenBLAS runs \(BLAS.threadCount()) threads, expected 1") }
            let small = rng.tensor([64, 64])
            _ = small.linear(weight: small)
            if BLAS.threadCount() != 1 { fatalError("a small linear runs on the pool, OpenBLAS at \(BLAS.threadCount()) threads") }
            let x = rng.tensor([512, 512])  // 2^27 multiply-adds: OpenBLAS's own threads
            _ = x.linear(weight: x)
            if BLAS.threadCount() != 2 { fatalError("after a large linear OpenBLAS runs \(BLAS.threadCount()) threads, expected 2") }
        }
    }
}
