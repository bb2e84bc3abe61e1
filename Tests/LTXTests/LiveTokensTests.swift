@testable import LTX
import Testing
import Tensors
import TensorsTestSupport

/// `denoised` leaves the last block's own outputs of trailing clean tokens (timestep 0)
/// uncomputed: their x0 is the latent whatever the velocity, and the other tokens' x0 is the
/// full forward's.
@Suite struct LiveTokensTests {
    @Test(arguments: ["ltx2", "ltx23"])
    func denoisedMatchesTheFullForward(style: String) throws {
        let (model, f) = try TransformerParityTests.load(style)
        var input = try TransformerParityTests.input(f)
        let t = input.latent.shape[1]
        // The fixture's last 8 tokens made clean (timestep 0), as appended references are.
        let fixture = input.timesteps.hostScalars()
        input.timesteps = Tensor(shape: [1, t], scalars: Array(fixture[0..<(t - 8)]) + [Float](repeating: 0, count: 8))
        let live = VideoTransformer.liveTokens(input)
        #expect(live == t - 8)
        let steps = input.timesteps.reshaped([1, t, 1])
        let full = input.latent - model.velocity(input) * steps
        let x0 = model.denoised(input)
        #expect(x0.shape == full.shape)
        #expect(TransformerParityTests.relativeError(x0, full) <= 1e-6)
        #expect(x0.sliced(axis: 1, live..<t).hostScalars() == input.latent.sliced(axis: 1, live..<t).hostScalars())
        // Sanity mutation: the live tokens still read the clean tokens' keys and values in the
        // last block (a forward of the live tokens alone differs).
        let alone = VideoTransformer.Input(
            latent: input.latent.sliced(axis: 1, 0..<live), timesteps: input.timesteps.reshaped([1, t]).sliced(axis: 1, 0..<live),
            sigma: input.sigma, positions: input.positions.sliced(axis: 2, 0..<live), context: input.context)
        let liveVelocity = model.velocity(input, liveTokens: live)
        #expect(TransformerParityTests.relativeError(liveVelocity, model.velocity(input).sliced(axis: 1, 0..<live)) <= 1e-6)
        #expect(TransformerParityTests.relativeError(model.velocity(alone), liveVelocity) > 1e-3)
    }

    /// Only a trailing run of timestep 0, one batch item, no self-attention mask.
    @Test func liveTokensRules() throws {
        let (_, f) = try TransformerParityTests.load("ltx23")
        var input = try TransformerParityTests.input(f)
        let t = input.latent.shape[1]
        let steps = input.timesteps.hostScalars()
        #expect(VideoTransformer.liveTokens(input) == (steps.lastIndex { $0 != 0 } ?? -1) + 1)
        input.timesteps = Tensor(shape: [1, t], scalars: [Float](repeating: 0.5, count: t - 1) + [0])
        #expect(VideoTransformer.liveTokens(input) == t - 1)
        input.timesteps = Tensor(zeros: [1, t])
        #expect(VideoTransformer.liveTokens(input) == t, "all clean: nothing to skip to")
        input.timesteps = Tensor(shape: [1, t], scalars: [0] + [Float](repeating: 0.5, count: t - 1))
        #expect(VideoTransformer.liveTokens(input) == t, "a clean token before noisy ones stays")
        input.timesteps = Tensor(shape: [1, t], scalars: [Float](repeating: 0.5, count: t - 2) + [0, 0])
        input.attentionMask = Tensor(repeating: 1, shape: [1, t, t])
        #expect(VideoTransformer.liveTokens(input) == t, "a mask keeps every token")
    }
}
