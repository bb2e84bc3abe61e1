import Foundation
import Tensors

/// The sinusoidal timestep features of ltx-core's `Timesteps(256, flip_sin_to_cos=True,
/// downscale_freq_shift=0)` (reading map 3.4), computed in float32 in torch's order:
/// `f_k = exp(-ln(10000)·k / 128)`, then `[cos(t·f_k) | sin(t·f_k)]`.
enum TimestepFeatures {
    static let channels = 256

    /// `[N, 256]` float32 features of `N` already scaled timesteps (`[N]`, any dtype), by
    /// tensor ops on their device.
    static func features(_ timesteps: Tensor) -> Tensor {
        let half = channels / 2
        let logMax = Float(-log(10000.0))
        let frequencies = Tensor(shape: [1, half], scalars: (0..<half).map { k in Foundation.exp(Float(k) * logMax / Float(half)) })
        let arguments = timesteps.to(dtype: .f32).reshaped([-1, 1]) * frequencies.to(device: timesteps.device)
        return Tensor.concatenated([arguments.cos(), arguments.sin()], axis: 1)
    }
}

extension AdaLNWeights {
    /// `AdaLayerNormSingle` on per-token (or per-sample) timesteps already multiplied by the
    /// timestep scale: returns the modulation `[B, T, K·D]` and the embedded timestep
    /// `[B, T, D]`, in `dtype`.
    func callAsFunction(scaledTimesteps: Tensor, batch: Int, dtype: DType) -> (modulation: Tensor, embedded: Tensor) {
        let features = TimestepFeatures.features(scaledTimesteps).to(dtype: dtype)
        let embedded = embedder2(embedder1(features).silu())
        let modulation = linear(embedded.silu())
        return (modulation.reshaped([batch, -1, modulation.shape[1]]), embedded.reshaped([batch, -1, embedded.shape[1]]))
    }
}
