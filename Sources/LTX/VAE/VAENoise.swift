import Tensors

/// Where the decoder's random draws come from when its config asks for them: the decode
/// noise on the latent (timestep-conditioned decoders) and the spatial noise of
/// `inject_noise` blocks, drawn in ltx-core's order (latent noise first, then two draws per
/// noisy residual block, block by block).
public enum VAENoise: Sendable {
    /// Draws from a torch-compatible generator, as ltx-pipelines passes its own generator to
    /// `decode_video`; the generator's state advances as torch's would.
    case generator(TorchGenerator)
    /// Explicit tensors consumed in draw order (each must have the drawn shape).
    case injected([Tensor])
    /// No draws available: decoding a config that needs one is an error.
    case none

    /// The next draw of `shape` in `dtype`.
    mutating func draw(_ shape: [Int], dtype: DType, device: Device, purpose: String) throws(VAEError) -> Tensor {
        switch self {
        case .generator(var g):
            let t = g.randn(shape: shape, dtype: dtype, device: device)
            self = .generator(g)
            return t
        case .injected(var list):
            guard !list.isEmpty else {
                throw VAEError("the decoder needs another noise draw \(shape) (\(purpose)), but the injected noise is used up")
            }
            let t = list.removeFirst()
            guard t.shape == shape else {
                throw VAEError("injected noise for \(purpose) must have shape \(shape), found \(t.shape)")
            }
            self = .injected(list)
            return t.to(dtype: dtype).to(device: device)
        case .none:
            throw VAEError("the decoder config draws noise (\(purpose)) but no generator or noise was given")
        }
    }
}
