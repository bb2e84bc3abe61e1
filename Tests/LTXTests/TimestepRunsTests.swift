import Foundation
@testable import LTX
import Testing
import Tensors
import TensorsTestSupport

/// The AdaLN in run form (`TimestepRuns`, `AdaLNWeights.inRuns`) against ltx-core's per-token
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
        let ada = adaLN.inRuns(scaledTimesteps: scaled.reshaped([128]), dtype: dtype)
        #expect(ada.runs.lengths == [16, 48, 64])
        #expect(ada.modulation.dtype == dtype && ada.embedded.dtype == dtype)
        // Each token's run row, spread over the tokens, against ltx-core's per-token rows.
        func spread(_ rows: Tensor, like: Tensor) -> Tensor {
            rows.unsqueezed(1).spreadingRuns(ada.runs, chunk: 0, like: like.reshaped([128, like.shape[2]]))
        }
        let modulation = spread(ada.modulation, like: reference.modulation)
        let embedded = spread(ada.embedded, like: reference.embedded)
        // float32: the products sum in another order for 3 rows than for 128 (4e-7 measured).
        let tolerance: Float = dtype == .f32 ? 1e-6 : 1.0 / 128
        #expect(TransformerParityTests.relativeError(modulation, reference.modulation.reshaped(modulation.shape)) <= tolerance)
        #expect(TransformerParityTests.relativeError(embedded, reference.embedded.reshaped(embedded.shape)) <= tolerance)
        // Sanity mutation: the runs in the wrong order give other rows.
        let swapped = adaLN.inRuns(scaledTimesteps: scaled.reshaped([2, 64]).sliced(axis: 0, 1..<2)
            .concatenatedBefore(scaled.reshaped([2, 64]).sliced(axis: 0, 0..<1)).reshaped([128]), dtype: dtype)
        #expect(swapped.runs.lengths == [64, 16, 48])
        let swappedRows = spread(swapped.modulation, like: reference.modulation)
        #expect(TransformerParityTests.relativeError(swappedRows, reference.modulation.reshaped(modulation.shape)) > 1e-3)
    }

    /// Timesteps that change every few tokens keep one row per token, each ltx-core's.
    @Test func shortRunsStayPerToken() throws {
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let adaLN = try TransformerWeights.load(from: checkpoint, config: config, dtype: .f32).0.adaLN
        let scaled = Tensor(shape: [24], scalars: (0..<24).map { Float($0 % 3) * 250 })
        let ada = adaLN.inRuns(scaledTimesteps: scaled, dtype: .f32)
        #expect(ada.runs.isPerToken && ada.runs.count == 24)
        let reference = adaLN(scaledTimesteps: scaled, batch: 1, dtype: .f32)
        #expect(ada.modulation.hostScalars() == reference.modulation.hostScalars())
    }
}

extension Tensor {
    fileprivate func concatenatedBefore(_ other: Tensor) -> Tensor { Tensor.concatenated([self, other], axis: 0) }
}
