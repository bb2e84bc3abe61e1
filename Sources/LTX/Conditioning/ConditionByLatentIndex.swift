import Tensors

/// A conditioning item that could not be applied: says which and why.
public struct ConditioningError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// ltx-core's `VideoConditionByLatentIndex` (reading map 6.1): the tokens of `latent`
/// (`[B, C, F_c, H, W]`, e.g. an encoded first frame) replace the state's tokens from latent
/// frame `latentIndex` on, in both the noisy and the clean latent, and their denoise mask
/// becomes `1 - strength` (0 for strength 1: kept as given).
public struct ConditionByLatentIndex: Sendable {
    public var latent: Tensor
    public var strength: Double
    public var latentIndex: Int

    public init(latent: Tensor, strength: Double = 1, latentIndex: Int = 0) {
        self.latent = latent
        self.strength = strength
        self.latentIndex = latentIndex
    }

    /// Applies the item to a state of a `frames × height × width` latent grid.
    public func apply(to state: LatentState, frames: Int, height: Int, width: Int) throws(ConditioningError) -> LatentState {
        let s = latent.shape
        let (b, c) = (state.latent.shape[0], state.latent.shape[2])
        guard s.count == 5, s[0] == b, s[1] == c, s[3] == height, s[4] == width else {
            throw ConditioningError(
                "a latent-index item of shape \(s) does not fit the latent [\(b), \(c), \(frames), \(height), \(width)]: batch, channels, height and width must match")
        }
        guard latentIndex >= 0, latentIndex + s[2] <= frames else {
            throw ConditioningError(
                "a \(s[2])-frame item at latent frame \(latentIndex) does not fit \(frames) latent frames")
        }
        let tokens = Patchify.tokens(latent.to(dtype: state.latent.dtype).to(device: state.latent.device))
        let start = latentIndex * height * width, stop = start + tokens.shape[1]
        func splice(_ t: Tensor, _ middle: Tensor) -> Tensor {
            Tensor.concatenated([t.sliced(axis: 1, 0..<start), middle, t.sliced(axis: 1, stop..<t.shape[1])], axis: 1)
        }
        var out = state
        out.latent = splice(state.latent, tokens)
        out.cleanLatent = splice(state.cleanLatent, tokens)
        out.denoiseMask = splice(
            state.denoiseMask,
            Tensor(repeating: Float(1 - strength), shape: [b, stop - start, 1], device: state.latent.device))
        return out
    }
}
