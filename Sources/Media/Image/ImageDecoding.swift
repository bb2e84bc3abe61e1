import Foundation
import Tensors

/// Options for `MediaLoader.loadImage`.
public struct ImageLoadOptions: Sendable, Equatable {
    /// Output width and height; nil keeps the decoded size (after the CRF round trip, which
    /// drops an odd last row or column).
    public var size: PixelSize?
    /// CRF of the H.264 round trip ltx-pipelines applies to conditioning images (one frame,
    /// libx264 preset veryfast, yuv420p); 0 turns it off. Default 33, as ltx-pipelines.
    public var crf: Int

    public init(size: PixelSize? = nil, crf: Int = 33) {
        self.size = size
        self.crf = crf
    }
}

/// What an image file declares.
public struct ImageInfo: Sendable, Equatable {
    /// "PNG", or FFmpeg's codec name for other formats ("mjpeg", "webp", ...).
    public var format: String
    public var width: Int
    public var height: Int
    /// Bits per sample (1, 2, 4, 8 or 16 for PNG).
    public var bitDepth: Int
    /// Channels stored in the file (gray 1, gray+alpha 2, RGB and palette 3, RGBA 4).
    public var channels: Int
    /// PNG colour type ("palette", "RGBA", ...) or FFmpeg pixel format ("yuvj420p").
    public var layout: String
    public var hasAlpha: Bool
    public var interlaced: Bool
}

/// A decoded, preprocessed image.
public struct DecodedImage: Sendable {
    /// `[1, 3, 1, H, W]` Float32 RGB in [-1, 1].
    public var pixels: Tensor
    /// The file as declared.
    public var source: ImageInfo

    public var height: Int { pixels.shape[3] }
    public var width: Int { pixels.shape[4] }
}

/// 8-bit packed RGB pixels of one picture.
struct RGB8Image: Sendable, Equatable {
    var width: Int
    var height: Int
    var bytes: [UInt8]
}

extension MediaLoader {
    /// Decodes an image (PNG through libpng; JPEG, WebP and whatever else FFmpeg reads through
    /// FFmpeg), applies the optional H.264 round trip, resizes and centre-crops as
    /// ltx-pipelines does and normalises to [-1, 1].
    ///
    /// Alpha is dropped, not composited (ltx-pipelines keeps the first three channels); gray
    /// and palette images become RGB; 16-bit samples keep their high byte (as PIL does).
    /// - Throws: `MediaError` naming the file and the problem.
    public static func loadImage(path: String, options: ImageLoadOptions = .init()) throws(MediaError) -> DecodedImage {
        if let size = options.size {
            try MediaLimits.check(width: size.width, height: size.height, what: "the requested output size", path: path)
        }
        guard (0...51).contains(options.crf) else {
            throw MediaError(.invalidArgument, path: path, "CRF \(options.crf) is outside 0...51 (0 turns the round trip off)")
        }
        var (image, info) = try decodeRGB8(path: path)
        if options.crf != 0 { image = try CRFRoundTrip.apply(image, crf: options.crf, path: path) }
        let size = options.size ?? PixelSize(width: image.width, height: image.height)
        let plan = ResizeCropPlan(sourceWidth: image.width, sourceHeight: image.height, width: size.width, height: size.height)
        var out = [Float](repeating: 0, count: 3 * size.width * size.height)
        let plane = size.width * size.height
        image.bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let base = dst.baseAddress!
                plan.applyInParallel(rgb: src.baseAddress!, sourceRowBytes: image.width * 3, red: base, green: base + plane, blue: base + 2 * plane)
            }
        }
        return DecodedImage(pixels: Tensor(shape: [1, 3, 1, size.height, size.width], scalars: out), source: info)
    }

    /// What the image file declares, without decoding its pixels (PNG) or after decoding
    /// one frame (other formats).
    public static func imageInfo(path: String) throws(MediaError) -> ImageInfo {
        if let png = try PNGReader(path: path) {
            return try pngInfo(try png.readHeader(), path: path)
        }
        return try decodeWithFFmpeg(path: path).1
    }

    /// Decodes to 8-bit RGB with the declared description.
    static func decodeRGB8(path: String) throws(MediaError) -> (RGB8Image, ImageInfo) {
        if let png = try PNGReader(path: path) {
            let header = try png.readHeader()
            let info = try pngInfo(header, path: path)
            let bytes = try png.readRGB8(width: header.width, height: header.height)
            return (RGB8Image(width: header.width, height: header.height, bytes: bytes), info)
        }
        return try decodeWithFFmpeg(path: path)
    }

    static func pngInfo(_ h: PNGHeader, path: String) throws(MediaError) -> ImageInfo {
        try MediaLimits.check(width: h.width, height: h.height, what: "the PNG's declared size", path: path)
        return ImageInfo(
            format: "PNG", width: h.width, height: h.height, bitDepth: h.bitDepth, channels: h.channels,
            layout: h.colorTypeName, hasAlpha: h.colorType == 4 || h.colorType == 6, interlaced: h.interlaced)
    }

    /// The first frame of the file's main video stream, through FFmpeg (JPEG, WebP, ...).
    static func decodeWithFFmpeg(path: String) throws(MediaError) -> (RGB8Image, ImageInfo) {
        let input = try InputFile(path: path)
        let (index, video) = try videoStream(of: input)
        let decoder = try Decoder(stream: input.stream(index), threads: 1, path: path)
        let packet = Packet()
        let frame = Frame()
        var got = false
        reading: while try input.read(into: packet) {
            defer { packet.unref() }
            guard packet.streamIndex == index else { continue }
            try decoder.send(packet)
            if try decoder.receive(into: frame) { got = true; break reading }
        }
        if !got {
            try decoder.send(nil)
            got = try decoder.receive(into: frame)
        }
        guard got else { throw MediaError(.empty, path: path, "the file holds no picture") }
        defer { frame.unref() }
        try MediaLimits.check(width: frame.width, height: frame.height, what: "the decoded picture", path: path)
        let scaler = try Scaler(
            width: frame.width, height: frame.height, from: frame.pixelFormat, to: FFmpeg.rgb24,
            sourceColorspace: frame.colorspace, sourceFullRange: frame.isFullRange, path: path)
        var bytes = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        bytes.withUnsafeMutableBufferPointer { scaler.convert(frame, to: $0.baseAddress!, rowBytes: frame.width * 3) }
        let (depth, components, alpha) = FFmpeg.pixelFormatDepthAndComponents(frame.pixelFormat)
        let info = ImageInfo(
            format: video.codec, width: frame.width, height: frame.height, bitDepth: depth, channels: components,
            layout: FFmpeg.pixelFormatName(frame.pixelFormat), hasAlpha: alpha, interlaced: false)
        return (RGB8Image(width: frame.width, height: frame.height, bytes: bytes), info)
    }
}
