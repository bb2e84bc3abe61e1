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

/// Runs of equal consecutive timesteps among a forward's tokens (batch items back to back).
///
/// A forward's per-token timesteps take a handful of values: sigma on the noisy tokens, 0 on
/// clean appended ones, `sigma · (1 - strength)` on a conditioned frame. ltx-core embeds every
/// token's timestep and runs the AdaLN linear (`D -> K·D`) on each; the rows are equal wherever
/// the timesteps are, so Reelflow embeds each run's timestep once and keeps the AdaLN in run
/// form (`RowRuns`): the fused AdaLN ops read each token's run. Each row is the same function
/// of the same float32 timestep; only the products' summation order may differ for a few rows
/// against many (4e-7 of the rows' scale in float32, `TimestepRunsTests`). At the tiny
/// benchmark shape this is 252 of the forward's 2514 MFLOP.
struct TimestepRuns {
    /// The timestep of each run.
    var values: [Float]
    /// How many tokens each run covers.
    var lengths: [Int]

    /// The runs of `timesteps` (bitwise equal values, so 0 and -0 or two NaNs start new runs).
    init(_ timesteps: [Float]) {
        values = []
        lengths = []
        for t in timesteps {
            if let last = values.last, last.bitPattern == t.bitPattern {
                lengths[lengths.count - 1] += 1
            } else {
                values.append(t)
                lengths.append(1)
            }
        }
    }

    /// Whether the run form pays: at most one run per 8 tokens. A token mask that changes
    /// every few tokens keeps ltx-core's per-token form (a backend without the fused kernels
    /// spreads each run's vectors with one op per run).
    var worthIt: Bool { values.count * 8 <= lengths.reduce(0, +) }
}

/// The AdaLN of a forward in run form: `modulation [R, K·D]` and `embedded [R, D]`, row r for
/// every token of run r of `runs` (over the batch's `B · T` tokens).
struct AdaLNRuns {
    var modulation: Tensor
    var embedded: Tensor
    var runs: RowRuns
}

extension AdaLNWeights {
    /// AdaLN over `B · T` scaled timesteps, once per run of equal timesteps where that pays
    /// (`TimestepRuns.worthIt`), once per token otherwise (runs of one token), in `dtype`.
    func inRuns(scaledTimesteps: Tensor, dtype: DType) -> AdaLNRuns {
        let tokens = scaledTimesteps.count
        let runs = TimestepRuns(scaledTimesteps.hostScalars())
        let (timesteps, rowRuns) = runs.worthIt
            ? (Tensor(shape: [runs.values.count], scalars: runs.values).to(device: scaledTimesteps.device), RowRuns(lengths: runs.lengths))
            : (scaledTimesteps, RowRuns.each(tokens))
        let (modulation, embedded) = self(scaledTimesteps: timesteps, batch: 1, dtype: dtype)
        return AdaLNRuns(
            modulation: modulation.reshaped([rowRuns.count, modulation.shape[2]]),
            embedded: embedded.reshaped([rowRuns.count, embedded.shape[2]]), runs: rowRuns)
    }
}
