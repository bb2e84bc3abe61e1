import Tensors

/// What travels on a VIDEO or IMAGE edge: `[1, 3, F, H, W]` float32 RGB in [-1, 1] (an
/// image has F = 1), the layout the LTX VAE encodes and decodes, and the frame rate.
public struct Frames: Sendable {
    public var pixels: Tensor
    /// Frames per second (an image carries the rate of the video it belongs to, or 24).
    public var fps: Double

    public init(pixels: Tensor, fps: Double) {
        require(pixels.rank == 5 && pixels.shape[0] == 1 && pixels.shape[1] == 3, "frames are [1, 3, F, H, W], got \(pixels.shape)")
        self.pixels = pixels
        self.fps = fps
    }

    public var frameCount: Int { pixels.shape[2] }
    public var height: Int { pixels.shape[3] }
    public var width: Int { pixels.shape[4] }

    /// A one-channel mask in [0, 1], `[1, 1, F, H, W]`: the mean of the three channels mapped
    /// from [-1, 1] (white = 1, black = 0). How mask videos and images are read.
    public func mask() -> Tensor {
        let mean = (pixels.sliced(axis: 1, 0..<1) + pixels.sliced(axis: 1, 1..<2) + pixels.sliced(axis: 1, 2..<3)) / 3
        let atLeastZero = ((mean + 1) * 0.5).clamped(min: 0)
        return 1 - (1 - atLeastZero).clamped(min: 0)
    }
}
