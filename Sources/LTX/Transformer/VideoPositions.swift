import Tensors

/// Token positions of a latent video grid, as ltx-core's `VideoLatentTools` makes them
/// (reading map 3.2): per token and axis (time, height, width) a `[start, end)` pair in pixel
/// units, `[B, 3, T, 2]`, tokens in (f, h, w) order.
public enum VideoPositions {
    /// The VAE's scale factors: 8 frames, 32 rows and 32 columns per latent cell.
    public static let scaleFactors = (time: 8, height: 32, width: 32)

    /// Pixel bounds of a `frames × height × width` latent grid.
    /// - Parameters:
    ///   - fps: the time row is divided by it (seconds).
    ///   - causalFix: frame 0 covers one pixel frame: time bounds become `max(0, b + 1 - 8)`.
    ///   - spatialScale: multiplies the spatial bounds (a reference latent at a downscale
    ///     factor d has positions scaled by d).
    ///   - batch: the batch extent.
    /// - Returns: float32 `[batch, 3, F·H·W, 2]`.
    public static func grid(
        frames: Int, height: Int, width: Int, fps: Float, causalFix: Bool = true, spatialScale: Int = 1, batch: Int = 1
    ) -> Tensor {
        let t = frames * height * width
        var values = [Float](repeating: 0, count: 3 * t * 2)
        let (st, sh, sw) = (scaleFactors.time, scaleFactors.height * spatialScale, scaleFactors.width * spatialScale)
        for f in 0..<frames {
            for h in 0..<height {
                for w in 0..<width {
                    let token = (f * height + h) * width + w
                    var t0 = f * st, t1 = (f + 1) * st
                    if causalFix {
                        t0 = max(0, t0 + 1 - st)
                        t1 = max(0, t1 + 1 - st)
                    }
                    values[(0 * t + token) * 2] = Float(t0) / fps
                    values[(0 * t + token) * 2 + 1] = Float(t1) / fps
                    values[(1 * t + token) * 2] = Float(h * sh)
                    values[(1 * t + token) * 2 + 1] = Float((h + 1) * sh)
                    values[(2 * t + token) * 2] = Float(w * sw)
                    values[(2 * t + token) * 2 + 1] = Float((w + 1) * sw)
                }
            }
        }
        let one = Tensor(shape: [1, 3, t, 2], scalars: values)
        return batch == 1 ? one : Tensor.concatenated(Array(repeating: one, count: batch), axis: 0)
    }
}
