import Tensors

/// How strongly the noisy tokens and a group of appended tokens attend to each other
/// (ltx-core's `ConditioningItemAttentionStrengthWrapper`): one weight for the group, or one
/// per appended token (`[M]` or `[B, M]`), each in [0, 1].
public enum AttentionStrength: Sendable {
    case scalar(Double)
    case perToken(Tensor)

    /// The `[B, M]` weights.
    func weights(batch: Int, tokens m: Int) throws(ConditioningError) -> [Float] {
        switch self {
        case .scalar(let w):
            guard (0...1).contains(w) else { throw ConditioningError("attention strength \(w) is outside [0, 1]") }
            return Array(repeating: Float(w), count: batch * m)
        case .perToken(let t):
            let v = t.hostScalars()
            guard (t.rank == 1 && t.shape[0] == m) || (t.rank == 2 && t.shape[1] == m && (t.shape[0] == batch || t.shape[0] == 1)) else {
                throw ConditioningError("an attention mask of shape \(t.shape) does not fit \(m) appended tokens (expected [\(m)] or [\(batch), \(m)])")
            }
            guard v.allSatisfy({ (0...1).contains($0) }) else { throw ConditioningError("attention mask values must lie in [0, 1]") }
            return t.shape.count == 2 && t.shape[0] == batch ? v : (0..<batch).flatMap { _ in v }
        }
    }
}

/// Appending conditioning tokens to a state, shared by the reference-latent and keyframe
/// items (ltx-core's concatenations and `update_attention_mask`, in block form).
enum AppendedTokens {
    /// `state` with `tokens` `[B, M, C]` (in the state's dtype) appended: positions
    /// `[B, 3, M, 2]` float32 (concatenating them onto bf16 positions makes the whole
    /// positions tensor float32, as torch's `cat` promotes), mask `1 - strength` rounded to
    /// the latent dtype (ltx-core builds it in that dtype), and the attention weights
    /// extended when weights exist or `attention` is given.
    static func append(
        _ tokens: Tensor, positions: Tensor, strength: Double, attention: AttentionStrength?, to state: LatentState,
        noisyTokens: Int
    ) throws(ConditioningError) -> LatentState {
        let (b, m) = (tokens.shape[0], tokens.shape[1])
        let n = state.latent.shape[1]
        let dtype = state.latent.dtype
        let maskValue = Tensor(repeating: Float(1 - strength), shape: [b, m, 1], dtype: dtype, device: state.latent.device)
        var out = state
        out.latent = Tensor.concatenated([state.latent, tokens], axis: 1)
        out.cleanLatent = Tensor.concatenated([state.cleanLatent, tokens], axis: 1)
        out.denoiseMask = Tensor.concatenated([state.denoiseMask, maskValue.to(dtype: .f32)], axis: 1)
        out.positions = Tensor.concatenated([state.positions, positions.to(device: state.positions.device)], axis: 2)
        if attention != nil || state.attentionWeights != nil {
            let cross = try (attention ?? .scalar(1)).weights(batch: b, tokens: m)
            out.attentionWeights = extendedWeights(
                existing: state.attentionWeights, noisy: noisyTokens, existingCount: n, new: m, cross: cross, batch: b,
                dtype: dtype)
        }
        return out
    }

    /// The tokens of an item's `[B, C, F, H, W]` latent in the state's dtype and device.
    /// - Throws: when batch or channels differ from the state's.
    static func tokens(of latent: Tensor, _ kind: String, for state: LatentState) throws(ConditioningError) -> Tensor {
        let s = latent.shape
        guard s.count == 5, s[0] == state.latent.shape[0], s[1] == state.latent.shape[2] else {
            throw ConditioningError(
                "a \(kind) latent of shape \(s) does not fit tokens \(state.latent.shape): it must be [B, C, F, H, W] with the state's batch and channels")
        }
        return Patchify.tokens(latent.to(dtype: state.latent.dtype).to(device: state.latent.device))
    }

    /// ltx-core's `build_attention_mask` in block form: the new tokens form a group of their
    /// own that attends to the grid with the cross weights (rounded to `dtype`, as ltx-core's
    /// mask is in the latent dtype) and to no earlier appended group. Tokens appended before
    /// any mask existed form group 1 with weight 1 to everything before.
    static func extendedWeights(
        existing: TokenGroupWeights?, noisy: Int, existingCount n: Int, new m: Int, cross: [Float], batch b: Int,
        dtype: DType
    ) -> TokenGroupWeights {
        let rounded = Tensor(shape: [cross.count], scalars: cross).to(dtype: dtype).hostScalars()
        let groups: [Int], previousCross: [Float], isolated: Int
        if let existing {
            groups = existing.groups
            previousCross = existing.batch == b ? existing.cross : (0..<b).flatMap { _ in existing.cross }
            isolated = existing.firstIsolatedGroup
        } else {
            groups = (0..<n).map { $0 < noisy ? 0 : 1 }
            previousCross = Array(repeating: 1, count: b * n)
            isolated = (groups.max() ?? 0) + 1
        }
        let newGroup = (groups.max() ?? 0) + 1
        var allCross: [Float] = []
        for bi in 0..<b {
            allCross += previousCross[(bi * n)..<((bi + 1) * n)]
            allCross += rounded[(bi * m)..<((bi + 1) * m)]
        }
        return TokenGroupWeights(
            groups: groups + Array(repeating: newGroup, count: m), cross: allCross, batch: b,
            firstIsolatedGroup: isolated, dtype: dtype)
    }
}

/// ltx-core's `VideoConditionByReferenceLatent` (reading map 6.2), optionally wrapped in an
/// attention strength: the reference's tokens appended with positions from its own latent
/// grid (causal fix, float32, time / fps, spatial bounds × the downscale factor `d`), mask
/// `1 - strength`.
public struct ConditionByReferenceLatent: Sendable {
    public var latent: Tensor
    public var downscaleFactor: Int
    public var strength: Double
    public var attention: AttentionStrength?

    public init(latent: Tensor, downscaleFactor: Int = 1, strength: Double = 1, attention: AttentionStrength? = nil) {
        self.latent = latent
        self.downscaleFactor = downscaleFactor
        self.strength = strength
        self.attention = attention
    }

    /// Applies the item to a state whose first `noisyTokens` tokens are the generated grid.
    public func apply(to state: LatentState, noisyTokens: Int, fps: Float) throws(ConditioningError) -> LatentState {
        let s = latent.shape
        let tokens = try AppendedTokens.tokens(of: latent, "reference", for: state)
        guard downscaleFactor >= 1 else { throw ConditioningError("downscale factor \(downscaleFactor) must be at least 1") }
        let positions = VideoPositions.grid(
            frames: s[2], height: s[3], width: s[4], fps: fps, causalFix: true, spatialScale: downscaleFactor, batch: s[0])
        return try AppendedTokens.append(
            tokens, positions: positions, strength: strength, attention: attention, to: state, noisyTokens: noisyTokens)
    }
}

/// ltx-core's `VideoConditionByKeyframeIndex` (reading map 6.4): a keyframe latent appended
/// as a guide at pixel frame `pixelFrame` (LoRA-Edit's later edited frames). Time bounds are
/// the latent bounds × 8 (the causal fix only at frame 0) plus `pixelFrame`, then / fps.
public struct ConditionByKeyframe: Sendable {
    public var latent: Tensor
    public var pixelFrame: Int
    public var strength: Double

    public init(latent: Tensor, pixelFrame: Int, strength: Double = 1) {
        self.latent = latent
        self.pixelFrame = pixelFrame
        self.strength = strength
    }

    public func apply(to state: LatentState, noisyTokens: Int, fps: Float) throws(ConditioningError) -> LatentState {
        let s = latent.shape
        let tokens = try AppendedTokens.tokens(of: latent, "keyframe", for: state)
        guard pixelFrame >= 0 else { throw ConditioningError("keyframe pixel frame \(pixelFrame) must not be negative") }
        // Pixel bounds without fps, shifted by the frame index, then / fps.
        let raw = VideoPositions.grid(frames: s[2], height: s[3], width: s[4], fps: 1, causalFix: pixelFrame == 0, batch: s[0])
        var v = raw.hostScalars()
        let t = s[2] * s[3] * s[4]
        for bi in 0..<s[0] {
            for i in 0..<(2 * t) {
                let k = bi * 3 * t * 2 + i
                v[k] = (v[k] + Float(pixelFrame)) / fps
            }
        }
        let positions = Tensor(shape: raw.shape, scalars: v)
        return try AppendedTokens.append(
            tokens, positions: positions, strength: strength, attention: nil, to: state, noisyTokens: noisyTokens)
    }
}
