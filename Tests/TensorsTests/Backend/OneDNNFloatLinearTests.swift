import CKernels
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// float32 `linear` on oneDNN's brgemm kernels (`OneDNN.floatLinear`) against OpenBLAS's
/// (`cpuLinear`), called directly (no global switch, so suites running beside this one keep
/// their path). Both accumulate in float32 in different orders.
@Suite struct OneDNNFloatLinearTests {
    static let taken = OneDNN.enabled && reelflow_cpu_vector_level() >= 2

    /// Shapes of the tiny transformer (640 x 128 x 128-512, the context's 128 rows, the AdaLN's
    /// two rows), odd sizes, a rank-3 input; with and without bias.
    @Test(.enabled(if: taken, "oneDNN's float32 brgemm needs AVX-512"), arguments: [
        [640, 128, 128], [640, 128, 512], [640, 512, 128], [128, 128, 128], [2, 128, 1152], [130, 70, 30], [1, 5, 3],
    ], [false, true])
    func matchesOpenBLAS(shape: [Int], bias: Bool) throws {
        var rng = SeededRandom(seed: UInt64(shape.reduce(7, *)) + (bias ? 1 : 0))
        let (m, k, n) = (shape[0], shape[1], shape[2])
        let x = rng.tensor(m % 2 == 0 ? [2, m / 2, k] : [m, k]), w = rng.tensor([n, k])
        let b = bias ? rng.tensor([n]) : nil
        let got = try #require(OneDNN.floatLinear(x, weight: w, bias: b), "oneDNN declined \(shape)")
        #expect(OneDNN.lastImplementation.hasPrefix("brg"), "\(OneDNN.lastImplementation)")
        let expected = x.cpuLinear(weight: w, bias: b)
        #expect(got.shape == expected.shape)
        let (gv, ev) = (got.hostScalars(), expected.hostScalars())
        let scale = ev.map(abs).max() ?? 1
        let error = zip(gv, ev).map { abs($0 - $1) }.max() ?? 0
        #expect(error <= 2e-6 * scale, "\(shape) bias \(bias): max error \(error) of scale \(scale)")
        // Sanity mutation: another bias (or none) moves the result past that bound.
        let other = x.cpuLinear(weight: w, bias: bias ? nil : Tensor(repeating: 0.01, shape: [n]))
        #expect(zip(gv, other.hostScalars()).map { abs($0 - $1) }.max()! > 2e-6 * scale)
    }

    /// The bands are cut by shape alone: the same bits at 1 and 3 threads and inside a
    /// single-threaded section.
    @Test(.enabled(if: taken, "oneDNN's float32 brgemm needs AVX-512"))
    func bitsDoNotDependOnThreads() throws {
        var rng = SeededRandom(seed: 91)
        let x = rng.tensor([640, 128]), w = rng.tensor([512, 128]), b = rng.tensor([512])
        let results = resultsOnThreads([1, 3]) { OneDNN.floatLinear(x, weight: w, bias: b) }
        let one = try #require(results[0]), three = try #require(results[1])
        let sectioned = try #require(TensorThreads.withSingleThreadedProducts { OneDNN.floatLinear(x, weight: w, bias: b) })
        #expect(one == three && one == sectioned)
    }

    /// Products with more outputs than rows (cut by columns) and other dtypes stay on OpenBLAS.
    @Test func declinesWhatItDoesNotTake() {
        var rng = SeededRandom(seed: 92)
        #expect(OneDNN.floatLinear(rng.tensor([64, 512]), weight: rng.tensor([2048, 512]), bias: nil) == nil)
        #expect(OneDNN.floatLinear(rng.tensor([64, 64]).to(dtype: .bf16), weight: rng.tensor([64, 64]), bias: nil) == nil)
    }
}
