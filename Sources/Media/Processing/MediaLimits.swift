/// Sizes this library agrees to decode or produce. A header that declares more is treated as
/// damaged or hostile input and refused before any large allocation.
public enum MediaLimits {
    /// Longest side in pixels (16K video).
    public static let maxSide = 16_384
    /// Most pixels in one frame or image (8192 x 8192).
    public static let maxPixels = 8_192 * 8_192

    /// Throws `.absurdDimensions` unless `width`x`height` is positive and within the limits.
    static func check(width: Int, height: Int, what: String, path: String) throws(MediaError) {
        guard width > 0, height > 0, width <= maxSide, height <= maxSide, width * height <= maxPixels else {
            throw MediaError(
                .absurdDimensions, path: path,
                "\(what) is \(width)x\(height); expected a positive size of at most \(maxSide) pixels a side and \(maxPixels) pixels in all")
        }
    }
}
