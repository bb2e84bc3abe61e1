import Foundation
@testable import LTX
import Testing
import Tensors
import TensorsTestSupport

/// The AdaLN run once per run of equal timesteps (`TimestepRuns`) against ltx-core's per-token
/// form on the LTX-2.3-shaped fixture model's weights.
@Suite struct TimestepRunsTests {
    @Test func runsSplitWhereTheBitsChange() {
        let runs = TimestepRuns([900, 900, 0, 0, 0, 900, -0.0, 450])
        #expect(runs.values.map(\.bitPattern) == [Float(900), 0, 900, -0.0, 450].map(\.bitPattern))
        #expect(runs.lengths == [2, 3, 1, 1, 1])
        #expect(!runs.worthIt, "5 runs over 8 tokens")
        #expect(TimestepRuns([Float](repeating: 900, count: 320) + [Float](repeating: 0, count: 320)).worthIt)
        #expect(TimestepRuns([]).values.isEmpty)
    }

    /// The indicator product repeats each run's row exactly, in float32 and bf16.
    @Test func indicatorRepeatsRowsExactly() {
        let runs = TimestepRuns(values: [1, 2, 3], lengths: [2, 1, 3])
        let indicator = runs.indicator(dtype: .f32, device: .cpu)
        #expect(indicator.shape == [6, 3])
        #expect(indicator.hostScalars() == [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1])
        let tiny = Float(bitPattern: 0x0002_0000), huge: Float = 3e38  // a subnormal; finite in bf16 too
        let rows = Tensor(shape: [3, 2], scalars: [10.123, -11, tiny, -21, 30, huge])
        // As `perToken` multiplies: a linear whose weight is the rows transposed.
        let spread = indicator.linear(weight: rows.transposed(0, 1))
        #expect(spread.hostScalars() == [10.123, -11, 10.123, -11, tiny, -21, 30, huge, 30, huge, 30, huge])
        // bf16 on oneDNN flushes subnormal words to 0 (as torch's oneDNN bf16 linear does), so
        // its rows here are normal numbers.
        let normal = Tensor(shape: [3, 2], scalars: [10.123, -11, 1e-30, -21, 30, huge]).to(dtype: .bf16)
        let bf16 = runs.indicator(dtype: .bf16, device: .cpu).linear(weight: normal.transposed(0, 1))
        let rowsBF16 = normal.hostScalars()
        #expect(bf16.dtype == .bf16)
        let order: [Int] = [0, 0, 1, 2, 2, 2]
        var expected: [Float] = []
        for r in order { expected += [rowsBF16[2 * r], rowsBF16[2 * r + 1]] }
        #expect(bf16.hostScalars() == expected)
    }

    /// A forward's timesteps (noisy grid, a conditioned first frame, clean reference tokens):
    /// once per run gives ltx-core's per-token rows, in float32 and bf16.
    @Test(arguments: [DType.f32, .bf16])
    func perRunMatchesPerToken(dtype: DType) throws {
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let adaLN = try TransformerWeights.load(from: checkpoint, config: config, dtype: dtype).0.adaLN
        let sigma: Float = 0.725
        let perToken = [Float](repeating: sigma * 0.25, count: 16) + [Float](repeating: sigma, count: 48)
            + [Float](repeating: 0, count: 64)
        let scaled = Tensor(shape: [2, 64], scalars: perToken) * config.timestepScale
        let reference = adaLN(scaledTimesteps: scaled.reshaped([128]), batch: 2, dtype: dtype)
        let runs = adaLN.perToken(scaledTimesteps: scaled.reshaped([128]), batch: 2, dtype: dtype)
        #expect(runs.modulation.shape == reference.modulation.shape && runs.embedded.shape == reference.embedded.shape)
        #expect(runs.modulation.dtype == dtype && runs.embedded.dtype == dtype)
        // float32: the products sum in another order for 3 rows than for 128 (4e-7 measured).
        let tolerance: Float = dtype == .f32 ? 1e-6 : 1.0 / 128
        #expect(TransformerParityTests.relativeError(runs.modulation, reference.modulation) <= tolerance)
        #expect(TransformerParityTests.relativeError(runs.embedded, reference.embedded) <= tolerance)
        // Sanity mutation: the runs in the wrong order give other rows.
        let swapped = adaLN.perToken(scaledTimesteps: scaled.reshaped([2, 64]).sliced(axis: 0, 1..<2)
            .concatenatedBefore(scaled.reshaped([2, 64]).sliced(axis: 0, 0..<1)).reshaped([128]), batch: 2, dtype: dtype)
        #expect(TransformerParityTests.relativeError(swapped.modulation, reference.modulation) > 1e-3)
    }
}

extension Tensor {
    fileprivate func concatenatedBefore(_ other: Tensor) -> Tensor { Tensor.concatenated([self, other], axis: 0) }
}
