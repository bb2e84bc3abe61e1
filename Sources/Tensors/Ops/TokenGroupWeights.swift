import Foundation

/// Self-attention weights between groups of tokens, kept in block form: the generated grid
/// (group 0) and groups of appended conditioning tokens (1, 2, ... in order), as ltx-core's
/// conditioning items build them (reading map 6.3), without the `[B, T, T]` matrix ltx-core
/// materialises (300 MB at 12k tokens in bf16). Memory is linear in tokens.
///
/// Weight between query token i and key token j:
/// - the same group: 1;
/// - the grid and an appended token t (either way round): `cross[b, t]`;
/// - two different appended groups: 1 while both were added before any mask existed, 0 once
///   the later of them was added with a mask present (`firstIsolatedGroup`).
///
/// As an attention mask (`AttentionMask.groups`) a weight w becomes the additive bias
/// `log(max(w, tiny))` rounded to `dtype`, and `lowest(dtype)` where w ≤ 0: ltx-core's rule.
public struct TokenGroupWeights: Sendable, Equatable {
    /// Group per token, `[T]`.
    public let groups: [Int]
    /// Weight between each token and the grid, `[B · T]` (grid tokens' entries unused).
    public let cross: [Float]
    public let batch: Int
    /// Appended groups from this one on attend to no other appended group.
    public let firstIsolatedGroup: Int
    /// The dtype the bias is rounded to (the model's).
    public let dtype: DType

    public init(groups: [Int], cross: [Float], batch: Int, firstIsolatedGroup: Int, dtype: DType) {
        require(cross.count == batch * groups.count, "cross weights \(cross.count) for \(batch) x \(groups.count) tokens")
        self.groups = groups
        self.cross = cross
        self.batch = batch
        self.firstIsolatedGroup = firstIsolatedGroup
        self.dtype = dtype
    }

    public var tokenCount: Int { groups.count }

    /// The weight between query token `i` and key token `j` of batch item `b`.
    public func weight(batch b: Int, query i: Int, key j: Int) -> Float {
        let (gi, gj) = (groups[i], groups[j])
        if gi == gj { return 1 }
        if gi == 0 { return cross[b * groups.count + j] }
        if gj == 0 { return cross[b * groups.count + i] }
        return Swift.max(gi, gj) >= firstIsolatedGroup ? 0 : 1
    }

    /// ltx-core's additive bias for a weight.
    public static func bias(_ w: Float, dtype: DType) -> Float {
        guard w > 0 else { return dtype == .bf16 ? -3.3895314e38 : (dtype == .f16 ? -65504 : -Float.greatestFiniteMagnitude) }
        let l = Foundation.log(Swift.max(w, Float.leastNormalMagnitude))
        switch dtype {
        case .bf16: return BFloat16.round(l)
        case .f16: return HalfFloat.round(l)
        default: return l
        }
    }

    /// The dense `[B, T, T]` weights (for tests, inspection and backends without a grouped path).
    public func denseWeights() -> Tensor {
        let t = groups.count
        var v = [Float](repeating: 0, count: batch * t * t)
        for b in 0..<batch {
            for i in 0..<t { for j in 0..<t { v[(b * t + i) * t + j] = weight(batch: b, query: i, key: j) } }
        }
        return Tensor(shape: [batch, t, t], scalars: v)
    }

    /// The dense additive bias `[B, 1, T, T]`, float32.
    public func denseBias() -> Tensor {
        denseWeights().map { Self.bias($0, dtype: dtype) }.unsqueezed(1)
    }
}
