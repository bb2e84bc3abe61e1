import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// The fused AdaLN ops with their modulation in run form (`RowRuns`): the CPU kernels against
/// the same ops on the table spread over the tokens (`normModulateComposed`,
/// `gatedResidualComposed`), which must agree to the bit in float32 and bf16.
@Suite struct RunModulationTests {
    static func bits(_ t: Tensor) -> [UInt32] { t.hostScalars().map(\.bitPattern) }

    @Test func runContainingWalksTheRunEnds() {
        let runs = RowRuns(lengths: [3, 1, 4])
        #expect(runs.count == 3 && runs.tokenCount == 8 && !runs.isPerToken)
        #expect((0..<8).map { runs.run(containing: $0) } == [0, 0, 0, 1, 2, 2, 2, 2])
        #expect(RowRuns.each(5).isPerToken && RowRuns.each(5).run(containing: 4) == 4)
        #expect(RowRuns(lengths: []).tokenCount == 0)
    }

    /// Spreading copies each run's vector to its tokens, non-finite values included, and
    /// nothing else (ltx-core's per-token table).
    @Test func spreadingCopiesEachRunsVector() {
        let rows = Tensor(shape: [3, 2, 2], scalars: [1, 2, 3, 4, .infinity, .nan, 5, 6, -7, -0.0, 8, 9])
        let like = Tensor(zeros: [2, 3, 2])
        let spread = rows.spreadingRuns(RowRuns(lengths: [2, 1, 3]), chunk: 1, like: like)
        #expect(spread.shape == [2, 3, 2])
        let v = spread.hostScalars()
        #expect(Array(v[0..<4]) == [3, 4, 3, 4])
        #expect(v[4] == 5 && v[5] == 6)
        #expect(Array(v[6...]) == [8, 9, 8, 9, 8, 9])
        let first = rows.spreadingRuns(RowRuns(lengths: [2, 1, 3]), chunk: 0, like: like).hostScalars()
        #expect(first[4] == .infinity && first[5].isNaN && first[0] == 1 && first[6] == -7)
    }

    /// The fused kernels give the bits of the norm, then `modulated` / `addingGated` on the
    /// spread vectors, over widths with and without a 16-lane tail, several runs and batch
    /// items whose tokens share a run.
    @Test(arguments: [DType.f32, .bf16])
    func fusedMatchesComposedToTheBit(dtype: DType) {
        var rng = SeededRandom(seed: 21)
        let cpu = CPUBackend.shared
        // [B, T, D] and the runs over B·T tokens (the second run of the first case spans both
        // batch items; the last case is one run per token).
        let cases: [([Int], [Int])] = [([2, 4, 20], [2, 5, 1]), ([1, 9, 128], [2, 7]), ([3, 1, 16], [1, 1, 1])]
        for (shape, lengths) in cases {
            let (b, t, d) = (shape[0], shape[1], shape[2])
            let runs = RowRuns(lengths: lengths)
            let x = (rng.tensor([b, t, d], scale: 3) + 0.5).to(dtype: dtype)
            let y = rng.tensor([b, t, d]).to(dtype: dtype)
            let rows = rng.tensor([runs.count, 4, d], scale: 0.5).to(dtype: dtype)
            for norm in [ModulatedNorm.rms, .layer] {
                let fused = x.normalizedModulated(norm, eps: 1e-6, rows: rows, runs: runs, scale: 3, shift: 1)
                let composed = cpu.normModulateComposed(x, norm: norm, eps: 1e-6, rows: rows, runs: runs, scale: 3, shift: 1)
                #expect(fused.dtype == dtype && fused.shape == x.shape)
                #expect(Self.bits(fused) == Self.bits(composed), "\(norm) \([b, t, d]) \(dtype)")
                // Sanity mutation: another vector as the scale changes the result.
                let other = cpu.normModulateComposed(x, norm: norm, eps: 1e-6, rows: rows, runs: runs, scale: 2, shift: 1)
                #expect(Self.bits(fused) != Self.bits(other))
            }
            let gated = x.addingGated(y, rows: rows, runs: runs, gate: 2)
            #expect(Self.bits(gated) == Self.bits(cpu.gatedResidualComposed(x, y, rows: rows, runs: runs, gate: 2)))
            #expect(Self.bits(gated) != Self.bits(cpu.gatedResidualComposed(x, y, rows: rows, runs: runs, gate: 0)))
        }
    }

    /// A token reads its own run's row: other run boundaries give other values.
    @Test func tokensReadTheirRunsRow() {
        var rng = SeededRandom(seed: 4)
        let x = rng.tensor([1, 8, 32]), rows = rng.tensor([2, 2, 32])
        let a = x.normalizedModulated(.rms, eps: 1e-6, rows: rows, runs: RowRuns(lengths: [3, 5]), scale: 1, shift: 0)
        let b = x.normalizedModulated(.rms, eps: 1e-6, rows: rows, runs: RowRuns(lengths: [4, 4]), scale: 1, shift: 0)
        let (av, bv) = (a.hostScalars(), b.hostScalars())
        #expect(Array(av[0..<96]) == Array(bv[0..<96]), "tokens 0-2 are in run 0 both times")
        #expect(Array(av[96..<128]) != Array(bv[96..<128]), "token 3 changes run")
        #expect(Array(av[128...]) == Array(bv[128...]))
    }
}
