import ReelflowGraph

/// The port types of the media and LTX nodes. The engine only sees their names.
public enum PortTypes {
    /// `Frames`, several frames.
    public static let video = ValueType.video
    /// `Frames` with one frame.
    public static let image = ValueType.image
    /// A `[B, C, F, H, W]` LTX latent (`Tensor`), normalised by the VAE's statistics.
    public static let latent = ValueType.latent
    /// Any tensor read from a file (`Tensor`), e.g. injected noise `[B, T, C]`.
    public static let tensor = ValueType.port("TENSOR")
    /// The prompt context and the conditioning items a sampler applies.
    public static let conditioning = ValueType.conditioning
    /// A torch-compatible noise generator's state (seed and draws so far).
    public static let generator = ValueType.port("GENERATOR")
    public static let model = ValueType.model
    public static let vae = ValueType.vae
    public static let upsampler = ValueType.upsampler
}
