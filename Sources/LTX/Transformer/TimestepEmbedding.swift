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
/// the timesteps are, so Reelflow runs it once per run and repeats the rows over the run's
/// tokens (`indicator`). Each row is the same function of the same float32 timestep; only the
/// products' summation order may differ for a few rows against many (4e-7 of the rows' scale in
/// float32, `TimestepRunsTests`). At the tiny benchmark shape this is 252 of the forward's 2514 MFLOP.
struct TimestepRuns {
    /// The timestep of each run.
    var values: [Float]
    /// How many tokens each run covers.
    var lengths: [Int]

    init(values: [Float], lengths: [Int]) {
        self.values = values
        self.lengths = lengths
    }

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

    /// Whether embedding one row per run saves work: at most one run per 8 tokens. (Each run
    /// costs a repeat of its rows; a token mask that changes every few tokens keeps ltx-core's
    /// per-token form.)
    var worthIt: Bool { values.count * 8 <= lengths.reduce(0, +) }

    /// `[tokens, R]`: 1 where token t lies in run r, else 0. `indicator · rows` repeats each
    /// run's row over its tokens in one product: every output is `1 · row + 0 · (the others)`,
    /// exactly the row where the rows are finite (the caller checks), and no piece per run is
    /// made (pieces and their concatenation held the `[T, K·D]` table twice at the peak).
    func indicator(dtype: DType, device: Device) -> Tensor {
        let tokens = lengths.reduce(0, +), count = values.count
        var scalars = [Float](repeating: 0, count: tokens * count)
        var token = 0
        for (r, length) in lengths.enumerated() {
            for t in token..<(token + length) { scalars[t * count + r] = 1 }
            token += length
        }
        return Tensor(shape: [tokens, count], scalars: scalars).to(dtype: dtype).to(device: device)
    }
}

extension AdaLNWeights {
    /// Per-token AdaLN over `B · T` scaled timesteps, run once per run of equal timesteps where
    /// that saves work (`TimestepRuns`), per token otherwise: the modulation `[B, T, K·D]` and
    /// the embedded timestep `[B, T, D]`, in `dtype`.
    func perToken(scaledTimesteps: Tensor, batch: Int, dtype: DType) -> (modulation: Tensor, embedded: Tensor) {
        let runs = TimestepRuns(scaledTimesteps.hostScalars())
        guard runs.worthIt else { return self(scaledTimesteps: scaledTimesteps, batch: batch, dtype: dtype) }
        let device = scaledTimesteps.device
        let values = Tensor(shape: [runs.values.count], scalars: runs.values).to(device: device)
        let (modulation, embedded) = self(scaledTimesteps: values, batch: 1, dtype: dtype)
        // A non-finite row would spread NaN (0 · inf) to other runs' tokens: per token then.
        guard (modulation.hostScalars() + embedded.hostScalars()).allSatisfy(\.isFinite) else {
            return self(scaledTimesteps: scaledTimesteps, batch: batch, dtype: dtype)
        }
        let indicator = runs.indicator(dtype: modulation.dtype, device: device)
        let tokens = indicator.shape[0]
        // As a `linear` (weight `[K·D, R]`, the rows transposed): in bf16 that runs on bf16
        // words into bf16 words, where `matmul` held a float32 `[T, K·D]` product first (the
        // small bf16 step's peak rose from 132 to 231 MiB).
        func spread(_ rows: Tensor) -> Tensor {
            indicator.linear(weight: rows.reshaped([runs.values.count, rows.shape[2]]).transposed(0, 1))
                .reshaped([batch, tokens / batch, rows.shape[2]])
        }
        return (spread(modulation), spread(embedded))
    }
}
