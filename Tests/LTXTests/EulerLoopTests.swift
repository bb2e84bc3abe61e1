import Foundation
import LTX
import Testing
import Tensors
import TensorsTestSupport

/// The distilled 8-step Euler loop against ltx-core / ltx-pipelines' own pieces
/// (tools/reference/make_transformer_fixtures.py, `euler_loop.safetensors`): the LTX-2.3-shaped
/// tiny model, an image latent at frame 0 (strength 1), injected noise. float32 within 1e-4
/// relative; bf16 within a few bf16 ulps (bit for bit on the AVX-512 development machine,
/// 2026-12-03; other GEMM kernels may move a rounding by one ulp).
@Suite struct EulerLoopTests {
    static func run(_ dtype: DType) throws -> (LatentState, LatentState?, SafetensorsFile) {
        let f = try SafetensorsFile(path: try TransformerParityTests.url("euler_loop").path)
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let (weights, _) = try TransformerWeights.load(from: checkpoint, config: config, dtype: dtype)
        let model = VideoTransformer(config: config, weights: weights)
        var state = LatentState.initial(channels: 128, frames: 2, height: 3, width: 4, fps: 24, dtype: dtype)
        state = try ConditionByLatentIndex(latent: try f.tensor("image_latent").tensor(), strength: 1, latentIndex: 0)
            .apply(to: state, frames: 2, height: 3, width: 4)
        state = state.noised(with: try f.tensor("eps").tensor().to(dtype: dtype))
        let context = try f.tensor("context").tensor().to(dtype: dtype)
        var afterFirst: LatentState?
        var steps = 0
        let final = try EulerSampler(sigmas: DistilledSchedule.stage1).sample(state, denoise: { s, sigma in
            model.denoised(s, sigma: sigma, context: context)
        }, progress: { done, all in
            steps = done
            #expect(all == 8)
        })
        #expect(steps == 8)
        // The first step alone, for a tighter check.
        afterFirst = try EulerSampler(sigmas: Array(DistilledSchedule.stage1.prefix(2))).sample(state) { s, sigma in
            model.denoised(s, sigma: sigma, context: context)
        }
        return (final, afterFirst, f)
    }

    @Test func float32LoopMatches() throws {
        let (final, first, f) = try Self.run(.f32)
        #expect(final.positions == (try f.tensor("loop_f32.positions").tensor()))
        #expect(TransformerParityTests.relativeError(first!.latent, try f.tensor("loop_f32.after_step0").tensor()) <= 1e-4)
        let err = TransformerParityTests.relativeError(final.latent, try f.tensor("loop_f32.final").tensor())
        #expect(err <= 1e-4, "final latent relative error \(err)")
        // Conditioned tokens (frame 0) never change.
        let image = Patchify.tokens(try f.tensor("image_latent").tensor())
        #expect(final.latent.sliced(axis: 1, 0..<12) == image)
    }

    @Test func bf16LoopMatches() throws {
        let (final, first, f) = try Self.run(.bf16)
        #expect(final.latent.dtype == .bf16)
        // The bf16 positions (the precision trap) are the ones ltx-core used.
        #expect(final.positions.to(dtype: .f32) == (try f.tensor("loop_bf16.positions").tensor()))
        let step0 = ulpDistances(first!.latent, try f.tensor("loop_bf16.after_step0").tensor())
        let end = ulpDistances(final.latent, try f.tensor("loop_bf16.final").tensor())
        #expect(step0.max <= 2, "after step 0: max \(step0.max) bf16 ulps, \(step0.differing) values differ")
        #expect(end.max <= 4, "final: max \(end.max) bf16 ulps, \(end.differing) values differ")
    }
}

/// bf16 ulp distances between a bf16 tensor and the float32 values of a bf16 reference.
func ulpDistances(_ a: Tensor, _ b: Tensor) -> (max: Int, differing: Int) {
    func ordered(_ x: Float) -> Int {
        let bits = Int(BFloat16.bits(from: x))
        return bits & 0x8000 != 0 ? -(bits & 0x7FFF) : bits
    }
    let d = zip(a.hostScalars(), b.hostScalars()).map { abs(ordered($0) - ordered($1)) }
    return (d.max() ?? 0, d.filter { $0 > 0 }.count)
}

@Suite struct SeededLoopTests {
    /// The loop with ltx-core's GaussianNoiser on torch's CPU generator (seed 7), and a second
    /// draw from the same generator: Reelflow's generator must give the same noise, in order.
    @Test(arguments: [DType.f32, .bf16])
    func seededLoopMatches(dtype: DType) throws {
        let f = try SafetensorsFile(path: try TransformerParityTests.url("euler_loop").path)
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let model = VideoTransformer(config: config, weights: try TransformerWeights.load(from: checkpoint, config: config, dtype: dtype).0)
        var generator = TorchGenerator.cpu(seed: 7)
        var state = LatentState.initial(channels: 128, frames: 2, height: 3, width: 4, fps: 24, dtype: dtype)
        state = try ConditionByLatentIndex(latent: try f.tensor("image_latent").tensor()).apply(to: state, frames: 2, height: 3, width: 4)
        state = state.noised(generator: &generator)
        let context = try f.tensor("context").tensor().to(dtype: dtype)
        let final = try EulerSampler(sigmas: DistilledSchedule.stage1).sample(state) { s, sigma in
            model.denoised(s, sigma: sigma, context: context)
        }
        let name = dtype == .f32 ? "f32" : "bf16"
        let renoised = final.noised(generator: &generator, scale: 0.909375)
        if dtype == .f32 {
            #expect(TransformerParityTests.relativeError(final.latent, try f.tensor("seeded_f32.final").tensor()) <= 1e-4)
            #expect(TransformerParityTests.relativeError(renoised.latent, try f.tensor("seeded_f32.renoised").tensor()) <= 1e-4)
        } else {
            #expect(ulpDistances(final.latent, try f.tensor("seeded_\(name).final").tensor()).max <= 4)
            #expect(ulpDistances(renoised.latent, try f.tensor("seeded_\(name).renoised").tensor()).max <= 4)
        }
    }
}
