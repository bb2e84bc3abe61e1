/// Runs of consecutive tokens that share one row of a small table: run `r` covers
/// `lengths[r]` tokens, in order. The AdaLN modulation of a diffusion transformer is a function
/// of each token's timestep, and a forward's timesteps take a few values in long runs (the
/// noisy grid at sigma, clean appended tokens at 0): the modulation is then `R` rows, not one
/// per token, and the fused AdaLN ops (`normalizedModulated(_:eps:rows:runs:scale:shift:)`,
/// `addingGated(_:rows:runs:gate:)`) read row `r` for every token of run `r`, so no per-token
/// `[T, K·D]` table is ever made.
public struct RowRuns: Sendable, Equatable {
    /// Tokens per run, each at least 1.
    public let lengths: [Int]
    /// The first token after each run (running sums of `lengths`).
    let ends: [Int]

    public init(lengths: [Int]) {
        require(lengths.allSatisfy { $0 > 0 }, "row runs must each cover at least one token, got \(lengths)")
        self.lengths = lengths
        var total = 0
        ends = lengths.map { total += $0; return total }
    }

    /// One run per token: a row per token (the per-token form).
    public static func each(_ tokens: Int) -> RowRuns { RowRuns(lengths: [Int](repeating: 1, count: tokens)) }

    /// The number of runs (rows of the table).
    public var count: Int { lengths.count }

    /// The number of tokens the runs cover.
    public var tokenCount: Int { ends.last ?? 0 }

    /// Whether every run is one token long (the table is already per token).
    public var isPerToken: Bool { lengths.count == tokenCount }

    /// The runs of the first `tokens` tokens (the last one cut short where it ends later).
    public func prefix(_ tokens: Int) -> RowRuns {
        require(tokens >= 0 && tokens <= tokenCount, "row runs: \(tokens) tokens of \(tokenCount)")
        guard tokens > 0 else { return RowRuns(lengths: []) }
        let last = run(containing: tokens - 1)
        var lengths = Array(self.lengths[...last])
        lengths[last] -= ends[last] - tokens
        return RowRuns(lengths: lengths)
    }

    /// The run that covers `token` (binary search over the run ends).
    public func run(containing token: Int) -> Int {
        var low = 0, high = ends.count - 1
        while low < high {
            let mid = (low + high) / 2
            if ends[mid] <= token { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
