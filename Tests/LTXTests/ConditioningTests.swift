import Foundation
import LTX
import ReelflowTestSupport
import Testing
import Tensors
import TensorsTestSupport

/// Conditioning items against ltx-core's own (`conditioning.safetensors`): an image at latent
/// frame 0, a reference latent at downscale factor 2 with attention strength (a scalar 0.5, or
/// per-token weights), a keyframe at pixel frame 8 with strength 0.8. The built state
/// (positions, denoise mask, attention weights, tokens) must match exactly; one X0 forward on
/// it within 1e-4 (float32) or a few bf16 ulps.
@Suite struct ConditioningTests {
    static func state(_ dtype: DType, perToken: Bool, _ f: SafetensorsFile) throws -> LatentState {
        var state = LatentState.initial(channels: 128, frames: 2, height: 3, width: 4, fps: 24, dtype: dtype)
        state = try ConditionByLatentIndex(latent: try f.tensor("image").tensor(), strength: 1)
            .apply(to: state, frames: 2, height: 3, width: 4)
        let attention: AttentionStrength = perToken ? .perToken(try f.tensor("per_token").tensor()) : .scalar(0.5)
        state = try ConditionByReferenceLatent(
            latent: try f.tensor("reference").tensor(), downscaleFactor: 2, strength: 1, attention: attention)
            .apply(to: state, noisyTokens: 24, fps: 24)
        state = try ConditionByKeyframe(latent: try f.tensor("keyframe").tensor(), pixelFrame: 8, strength: 0.8)
            .apply(to: state, noisyTokens: 24, fps: 24)
        return state.noised(with: try f.tensor("eps").tensor().to(dtype: dtype))
    }

    @Test(arguments: [DType.f32, .bf16], [false, true])
    func statesAndForwardMatchLTXCore(dtype: DType, perToken: Bool) throws {
        let f = try SafetensorsFile(path: try TransformerParityTests.url("conditioning").path)
        let key = "cond_\(dtype == .f32 ? "f32" : "bf16")_\(perToken ? "tokens" : "scalar")"
        let state = try Self.state(dtype, perToken: perToken, f)
        #expect(state.positions.dtype == .f32, "appended float32 positions promote the whole tensor")
        #expect(state.positions == (try f.tensor("\(key).positions").tensor()))
        #expect(state.denoiseMask == (try f.tensor("\(key).denoise_mask").tensor()))
        #expect(state.attentionWeights?.denseWeights() == (try f.tensor("\(key).attention_mask").tensor()))
        #expect(state.latent.to(dtype: .f32) == (try f.tensor("\(key).latent").tensor()))
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let model = VideoTransformer(config: config, weights: try TransformerWeights.load(from: checkpoint, config: config, dtype: dtype).0)
        let x0 = model.denoised(state, sigma: 0.9, context: try f.tensor("context").tensor().to(dtype: dtype))
        let expected = try f.tensor("\(key).x0").tensor()
        if dtype == .f32 {
            #expect(TransformerParityTests.relativeError(x0, expected) <= 1e-4)
        } else {
            let d = ulpDistances(x0, expected)
            #expect(d.max <= 4, "x0: max \(d.max) bf16 ulps, \(d.differing) values differ")
        }
    }

    @Test func badItemsAreClearErrors() throws {
        let state = LatentState.initial(channels: 128, frames: 2, height: 3, width: 4, fps: 24, dtype: .f32)
        #expect(throws: ConditioningError.self) {
            try ConditionByLatentIndex(latent: Tensor(zeros: [1, 128, 1, 2, 4])).apply(to: state, frames: 2, height: 3, width: 4)
        }
        #expect(throws: ConditioningError.self) {
            try ConditionByLatentIndex(latent: Tensor(zeros: [1, 128, 1, 3, 4]), latentIndex: 2).apply(to: state, frames: 2, height: 3, width: 4)
        }
        #expect(throws: ConditioningError.self) {
            try ConditionByReferenceLatent(latent: Tensor(zeros: [1, 64, 1, 3, 4])).apply(to: state, noisyTokens: 24, fps: 24)
        }
        #expect(throws: ConditioningError.self) {
            try ConditionByReferenceLatent(latent: Tensor(zeros: [1, 128, 1, 3, 4]), attention: .scalar(1.5))
                .apply(to: state, noisyTokens: 24, fps: 24)
        }
        // No attention strength and no mask so far: no mask exists at all (the fast path).
        let plain = try ConditionByReferenceLatent(latent: Tensor(zeros: [1, 128, 1, 3, 4])).apply(to: state, noisyTokens: 24, fps: 24)
        #expect(plain.attentionWeights == nil && plain.latent.shape == [1, 36, 128])
    }
}

@Suite struct MaskConditioningTests {
    @Test func pixelMaskDownsamplesAsLTXPipelines() throws {
        let f = try SafetensorsFile(path: try TransformerParityTests.url("conditioning").path)
        let latent = try LatentMask.downsample(try f.tensor("pixel_mask").tensor(), frames: 3, height: 5, width: 7)
        #expect(TransformerParityTests.relativeError(latent, try f.tensor("latent_mask").tensor()) <= 1e-6)
        #expect(throws: ConditioningError.self) {
            _ = try LatentMask.downsample(try f.tensor("pixel_mask").tensor(), frames: 4, height: 5, width: 7)
        }
    }

    /// Kept tokens (weight 1, strength 1) never change through a whole loop; the others move.
    @Test func keptTokensSurviveTheSampler() throws {
        let checkpoint = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        let config = try TransformerConfig(file: checkpoint)
        let model = VideoTransformer(config: config, weights: try TransformerWeights.load(from: checkpoint, config: config).0)
        var rng = SeededRandom(seed: 3)
        let source = Tensor(shape: [1, 128, 2, 3, 4], scalars: (0..<(128 * 24)).map { _ in Float.random(in: -1...1, using: &rng) })
        let keep = Tensor(shape: [1, 24], scalars: (0..<24).map { $0 % 3 == 0 ? 1 : ($0 % 3 == 1 ? 0.5 : 0) })
        var state = LatentState.initial(channels: 128, frames: 2, height: 3, width: 4, fps: 24, dtype: .f32)
        state = try ConditionByMask(source: source, keep: keep).apply(to: state, noisyTokens: 24)
        #expect(state.denoiseMask.hostScalars() == keep.hostScalars().map { 1 - $0 })
        let eps = Tensor(shape: [1, 24, 128], scalars: (0..<(24 * 128)).map { _ in Float.random(in: -2...2, using: &rng) })
        state = state.noised(with: eps)
        let context = Tensor(shape: [1, 5, 16], scalars: (0..<80).map { _ in Float.random(in: -1...1, using: &rng) })
        let final = try EulerSampler(sigmas: DistilledSchedule.stage2).sample(state) { s, sigma in
            model.denoised(s, sigma: sigma, context: context)
        }
        let src = Patchify.tokens(source).hostScalars(), out = final.latent.hostScalars()
        for token in 0..<24 {
            let same = (0..<128).allSatisfy { out[token * 128 + $0] == src[token * 128 + $0] }
            #expect(same == (token % 3 == 0), "token \(token)")
        }
    }
}
