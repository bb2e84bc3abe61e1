import Foundation
import Tensors

/// The sinusoidal timestep features of ltx-core's `Timesteps(256, flip_sin_to_cos=True,
/// downscale_freq_shift=0)` (reading map 3.4), computed in float32 in torch's order:
/// `f_k = exp(-ln(10000)·k / 128)`, then `[cos(t·f_k) | sin(t·f_k)]`.
enum TimestepFeatures {
    static let channels = 256

    /// `[N, 256]` float32 features of `N` already scaled timesteps.
    static func features(_ timesteps: [Float]) -> Tensor {
        let half = channels / 2
        let logMax = Float(-log(10000.0))
        let frequencies = (0..<half).map { k in Foundation.exp(Float(k) * logMax / Float(half)) }
        var out = [Float](repeating: 0, count: timesteps.count * channels)
        for (i, t) in timesteps.enumerated() {
            for k in 0..<half {
                let arg = t * frequencies[k]
                out[i * channels + k] = Foundation.cos(arg)
                out[i * channels + half + k] = Foundation.sin(arg)
            }
        }
        return Tensor(shape: [timesteps.count, channels], scalars: out)
    }
}

extension AdaLNWeights {
    /// `AdaLayerNormSingle` on per-token (or per-sample) timesteps already multiplied by the
    /// timestep scale: returns the modulation `[B, T, K·D]` and the embedded timestep
    /// `[B, T, D]`, in `dtype`.
    func callAsFunction(scaledTimesteps: Tensor, batch: Int, dtype: DType) -> (modulation: Tensor, embedded: Tensor) {
        let t = scaledTimesteps.hostScalars()
        let features = TimestepFeatures.features(t).to(dtype: dtype).to(device: scaledTimesteps.device)
        let embedded = embedder2(embedder1(features).silu())
        let modulation = linear(embedded.silu())
        return (modulation.reshaped([batch, -1, modulation.shape[1]]), embedded.reshaped([batch, -1, embedded.shape[1]]))
    }
}
