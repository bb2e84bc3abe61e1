import CKernels
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// float32 `linear` with few outputs (`Tensor.narrowLinear`, attention's per-head gate)
/// against OpenBLAS (`cpuLinear`), over row counts around its groups of four, widths around
/// its 16 lanes, with and without bias.
@Suite(.enabled(if: reelflow_cpu_vector_level() >= 2, "the narrow kernel needs AVX-512"))
struct NarrowLinearTests {
    @Test(arguments: [1, 4, 16], [false, true])
    func matchesOpenBLAS(outputs n: Int, bias: Bool) throws {
        var rng = SeededRandom(seed: UInt64(n * 2 + (bias ? 1 : 0)))
        for (m, k) in [(1, 1), (3, 15), (4, 16), (5, 17), (9, 70), (640, 128), (7, 33)] {
            let x = rng.tensor(m % 2 == 1 ? [m, k] : [2, m / 2, k]), w = rng.tensor([n, k])
            let b = bias ? rng.tensor([n]) : nil
            let got = try #require(Tensor.narrowLinear(x, weight: w, bias: b))
            let expected = x.cpuLinear(weight: w, bias: b)
            #expect(got.shape == expected.shape)
            let (gv, ev) = (got.hostScalars(), expected.hostScalars())
            let scale = Swift.max(ev.map(abs).max() ?? 1, 1e-6)
            let error = zip(gv, ev).map { abs($0 - $1) }.max() ?? 0
            #expect(error <= 2e-6 * scale, "\([m, k, n]) bias \(bias): error \(error) of scale \(scale)")
            if bias {
                // Sanity mutation: without the bias the result moves.
                let bare = x.cpuLinear(weight: w, bias: nil).hostScalars()
                #expect(zip(gv, bare).map { abs($0 - $1) }.max()! > 2e-6 * scale)
            }
        }
    }

    /// Each row is computed alone (groups of four rows only share weight loads): the same bits
    /// on 1 and 3 threads; `linear` takes this path; more outputs do not.
    @Test func rowsDoNotDependOnThreadsAndLinearTakesIt() throws {
        var rng = SeededRandom(seed: 5)
        let x = rng.tensor([1, 643, 128]), w = rng.tensor([4, 128]), b = rng.tensor([4])
        let results = resultsOnThreads([1, 3]) { Tensor.narrowLinear(x, weight: w, bias: b) }
        let one = try #require(results[0])
        #expect(results[1] == one)
        #expect(x.linear(weight: w, bias: b) == one)
        #expect(Tensor.narrowLinear(x, weight: rng.tensor([17, 128]), bias: nil) == nil)
        #expect(Tensor.narrowLinear(x.to(dtype: .bf16), weight: w.to(dtype: .bf16), bias: nil) == nil)
    }
}
