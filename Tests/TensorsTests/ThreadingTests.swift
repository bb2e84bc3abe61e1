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

    /// Products are cut by shape alone: the same bits with 1 and 3 threads and inside a
    /// single-threaded section (where another op's workers call them), for shapes on both
    /// sides of the banding rules. OpenBLAS's own threading failed this under a forced
    /// `OPENBLAS_CORETYPE` (`OPENBLAS_CORETYPE=Haswell swift test --filter ThreadingTests`
    /// checks that case).
    @Test func productsDoNotDependOnThreadsOrSections() {
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        var rng = SeededRandom(seed: 51)
        let shapes = [(16, 256, 256), (64, 2048, 512), (400, 1024, 1024), (130, 70, 300), (512, 512, 512), (1, 4096, 64)]
        let operands = shapes.map { (m, n, k) in (rng.tensor([m, k]), rng.tensor([n, k])) }
        let batched = [(rng.tensor([4, 130, 70]), rng.tensor([4, 70, 90])), (rng.tensor([2, 300, 64]), rng.tensor([2, 64, 1000]))]
        func run() -> [Tensor] { operands.map { $0.0.linear(weight: $0.1) } + batched.map { Tensor.matmul($0.0, $0.1) } }
        TensorThreads.count = 1
        let single = run()
        TensorThreads.count = 3
        let multi = run()
        let sectioned = TensorThreads.withSingleThreadedProducts { run() }
        for i in single.indices {
            #expect(single[i] == multi[i], "product \(i) at 1 and 3 threads")
            #expect(single[i] == sectioned[i], "product \(i) inside a section")
        }
        #expect(BLAS.threadCount() == 1, "OpenBLAS stays on one thread")
    }

    @Test func bandsDependOnTheShapeOnly() {
        #expect(BLAS.bandCount(m: 16, n: 256, k: 256) == 1, "2^20 multiply-adds make one band")
        #expect(BLAS.bandCount(m: 64, n: 2048, k: 512) == 4)
        #expect(BLAS.bandCount(m: 63, n: 63, k: 100_000) == 1, "no axis of 64")
        #expect(BLAS.bandCount(m: 64, n: 64, k: 255) == 1, "under 2^20 multiply-adds")
        #expect(BLAS.bandCount(m: 1408, n: 4096, k: 4096) == BLAS.maxBands)
        #expect(BLAS.bandCount(m: 200, n: 100, k: 4096) == 2, "3 rounds down to an even count")
    }

    @Test func singleThreadedSectionsNest() {
        TensorThreads.withSingleThreadedProducts {
            #expect(TensorThreads.threadsForOneCall == 1)
            TensorThreads.withSingleThreadedProducts { #expect(TensorThreads.threadsForOneCall == 1) }
            #expect(TensorThreads.threadsForOneCall == 1, "the outer section still holds")
        }
    }
}

/// Stopping OpenBLAS's idle workers must leave BLAS working, from every thread. An exit
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
            // Big enough (2^27 multiply-adds) to be cut into bands that run on two threads,
            // each calling OpenBLAS.
            var rng = SeededRandom(seed: 77)
            let x = rng.tensor([512, 512]), w = rng.tensor([512, 512])
            let fast = x.cpuLinear(weight: w)  // OpenBLAS itself (a float32 `linear` may run on oneDNN)
            let (xv, wv, yv) = (x.hostScalars(), w.hostScalars(), fast.hostScalars())
            for (i, j) in [(0, 0), (511, 511), (100, 400), (300, 7)] {
                let expected = (0..<512).reduce(0.0) { $0 + Double(xv[i * 512 + $1]) * Double(wv[j * 512 + $1]) }
                if abs(Double(yv[i * 512 + j]) - expected) > 1e-3 { fatalError("linear after stopping the idle workers is off at (\(i), \(j))") }
            }
            if BLAS.threadCount() != 1 { fatalError("OpenBLAS runs \(BLAS.threadCount()) threads, expected 1") }
        }
    }
}
