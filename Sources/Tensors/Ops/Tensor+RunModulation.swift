/// The norm in front of an AdaLN modulation: RMSNorm or LayerNorm over the last axis, both
/// without an affine weight (as the LTX transformer uses them).
public enum ModulatedNorm: String, Sendable {
    case rms, layer
}

/// The fused AdaLN ops with their modulation in run form (`RowRuns`): a table `rows [R, K, D]`
/// holds K vectors of width D per run, and every token (row of the operand's last axis, batch
/// items back to back) reads the vectors of its run. Each op is one pass over the tokens; its
/// values are those of the unfused ops on the table spread to every token (in bf16 with the
/// same roundings, so the result is the same to the bit on the CPU).
extension Tensor {
    /// `norm(self) * (1 + rows[r, scale]) + rows[r, shift]` for every token of run `r`: the
    /// norm (no affine, `eps`) and the AdaLN modulation of a transformer block in one pass.
    public func normalizedModulated(
        _ norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int
    ) -> Tensor {
        checkRunTable(rows, runs, chunks: [("scale", scale), ("shift", shift)], op: "normalizedModulated")
        return Tensor.backend(self, rows)
            .normModulate(self, norm: norm, eps: eps, rows: rows, runs: runs, scale: scale, shift: shift)
    }

    /// `self + y * rows[r, gate]` for every token of run `r`: a gated residual with its gate in
    /// run form. `y` has this tensor's shape.
    public func addingGated(_ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor {
        require(y.shape == shape, "addingGated: y \(y.shape) must have the shape \(shape)")
        checkRunTable(rows, runs, chunks: [("gate", gate)], op: "addingGated")
        return Tensor.backend(self, y, rows).gatedResidual(self, y, rows: rows, runs: runs, gate: gate)
    }

    private func checkRunTable(_ rows: Tensor, _ runs: RowRuns, chunks: [(String, Int)], op: String) {
        require(rank >= 1 && shape[rank - 1] > 0, "\(op): needs a last axis of at least 1, got \(shape)")
        let d = shape[rank - 1]
        require(
            rows.rank == 3 && rows.shape[0] == runs.count && rows.shape[2] == d,
            "\(op): rows must be [\(runs.count) runs, K, \(d)], got \(rows.shape)")
        require(
            runs.tokenCount == count / d,
            "\(op): runs cover \(runs.tokenCount) tokens, the operand \(shape) has \(count / d)")
        for (name, index) in chunks {
            require(index >= 0 && index < rows.shape[1], "\(op): \(name) vector \(index) is not in 0..<\(rows.shape[1])")
        }
    }

    /// Vector `chunk` of each run's rows spread over the runs' tokens, shaped like `like`:
    /// `rows [R, K, D]` -> `like.shape` (`[..., D]`). Exact: each token's values are its run's,
    /// copied (pieces of `0 + row`, then one concatenation), so a non-finite row stays in its
    /// run. The fused ops' default form on backends without a kernel for them.
    public func spreadingRuns(_ runs: RowRuns, chunk: Int, like: Tensor) -> Tensor {
        let d = shape[2]
        let vectors = sliced(axis: 1, chunk..<(chunk + 1)).reshaped([runs.count, d])
        if runs.isPerToken { return vectors.reshaped(like.shape) }
        let pieces = runs.lengths.enumerated().map { r, length in
            Tensor(zeros: [length, d], dtype: dtype, device: device) + vectors.sliced(axis: 0, r..<(r + 1))
        }
        let spread = pieces.count == 1 ? pieces[0] : Tensor.concatenated(pieces, axis: 0)
        return spread.reshaped(like.shape)
    }
}
