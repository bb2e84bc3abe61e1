import Tensors

/// The first-order Euler sampler of ltx-core (`EulerDiffusionStep` inside ltx-pipelines'
/// `euler_denoising_loop`), with the denoise-mask blending of `post_process_latent`. Per step
/// (reading map 1.6), arithmetic in float32 and each result rounded to the latent's dtype:
///
///     x0  = denoise(state, sigma)                       (the X0 model)
///     x0  = round(x0 · m + clean · (1 - m))
///     vel = round((x - x0) / sigma)
///     x   = round(x + vel · (next - sigma))
///
/// Tokens with mask 0 never change.
public struct EulerSampler: Sendable {
    public var sigmas: [Float]

    public init(sigmas: [Float]) {
        require(sigmas.count >= 2, "a schedule needs at least two sigmas, got \(sigmas)")
        require(sigmas.dropLast().allSatisfy { $0 != 0 }, "only the last sigma may be 0: \(sigmas)")
        self.sigmas = sigmas
    }

    /// Number of model calls.
    public var steps: Int { sigmas.count - 1 }

    /// Runs every step.
    /// - Parameters:
    ///   - denoise: the X0 prediction for a state at `sigma` (e.g. `VideoTransformer.denoised`).
    ///   - progress: called after each step with (steps done, steps in all).
    /// - Throws: `CancellationError` between steps when the task is cancelled; whatever
    ///   `denoise` throws.
    public func sample(
        _ state: LatentState, denoise: (LatentState, Float) throws -> Tensor,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> LatentState {
        var state = state
        let dtype = state.latent.dtype
        let mask = state.denoiseMask.to(dtype: .f32)
        let keep = 1 - mask
        let clean = state.cleanLatent.to(dtype: .f32)
        for i in 0..<steps {
            if Task.isCancelled { throw CancellationError() }
            let sigma = sigmas[i], next = sigmas[i + 1]
            let predicted = try denoise(state, sigma)
            let x0 = (predicted.to(dtype: .f32) * mask + clean * keep).to(dtype: dtype)
            let x = state.latent.to(dtype: .f32)
            let velocity = ((x - x0.to(dtype: .f32)) / sigma).to(dtype: dtype)
            state.latent = (x + velocity.to(dtype: .f32) * (next - sigma)).to(dtype: dtype)
            progress?(i + 1, steps)
        }
        return state
    }
}

extension VideoTransformer {
    /// The X0 prediction for a sampler state at `sigma` with the prompt `context`
    /// (ltx-pipelines' `simple_denoising_func`: timesteps = mask · sigma).
    public func denoised(_ state: LatentState, sigma: Float, context: Tensor) -> Tensor {
        let b = state.latent.shape[0]
        return denoised(Input(
            latent: state.latent, timesteps: state.denoiseMask * sigma,
            sigma: Tensor(shape: [b], scalars: Array(repeating: sigma, count: b)).to(device: state.latent.device),
            positions: state.positions, context: context, groupWeights: state.attentionWeights))
    }
}
