import Foundation
import ReelflowIO
import Tensors

/// Writing VIDEO and IMAGE tensors to files, the work behind the Save node.
///
/// Every write is atomic (a temporary file beside the destination, renamed into place only
/// when complete) and follows an `ExistingOutputPolicy`; the default is `.number`, ComfyUI's
/// habit: an existing `clip.mp4` is kept and the new file becomes `clip_00001.mp4`.
/// Pixels are converted to 8 bits as ltx-core does (`EightBit.ltx`: bf16 steps, truncation).
public enum MediaWriter {}

/// Options for `MediaWriter.saveVideo`.
public struct VideoSaveOptions: Sendable, Equatable {
    /// Frames per second written into the stream (ltx-pipelines passes `int(fps)`).
    public var fps: Double
    /// x264 constant rate factor, 0 (lossless) ... 51. x264's default, 23, is what
    /// ltx-pipelines gets since it sets none.
    public var crf: Int
    /// x264 preset ("ultrafast" ... "veryslow"); "medium" is x264's default.
    public var preset: String
    /// What to do when the output exists.
    public var existing: ExistingOutputPolicy
    /// x264 threads; 0 lets x264 choose.
    public var threads: Int
    /// ltx-core's 8-bit conversion in bf16 (its pipeline) or float32.
    public var rounding: EightBitRounding

    public init(
        fps: Double, crf: Int = 23, preset: String = "medium", existing: ExistingOutputPolicy = .number, threads: Int = 0,
        rounding: EightBitRounding = .bfloat16
    ) {
        self.rounding = rounding
        self.fps = fps
        self.crf = crf
        self.preset = preset
        self.existing = existing
        self.threads = threads
    }
}

extension MediaWriter {
    /// Encodes a `[1, 3, F, H, W]` video in [-1, 1] to an H.264 MP4 (libx264, yuv420p,
    /// BT.601 limited range as PyAV's default conversion gives). Width and height must be even.
    /// - Returns: the path written (differs from `path` under `.number`).
    /// - Throws: `MediaError` for a bad shape or option, or a file that cannot be written.
    @discardableResult
    public static func saveVideo(_ pixels: Tensor, to path: String, options: VideoSaveOptions) throws(MediaError) -> String {
        let (frames, height, width) = try videoShape(pixels, path: path)
        guard width % 2 == 0, height % 2 == 0 else {
            throw MediaError(.invalidArgument, path: path, "yuv420p needs an even width and height, got \(width)x\(height)")
        }
        guard (0...51).contains(options.crf) else {
            throw MediaError(.invalidArgument, path: path, "CRF \(options.crf) is outside 0...51")
        }
        guard x264Presets.contains(options.preset) else {
            throw MediaError(.invalidArgument, path: path, "unknown x264 preset \"\(options.preset)\"; expected one of \(x264Presets.joined(separator: ", "))")
        }
        guard options.fps > 0, options.fps.isFinite else {
            throw MediaError(.invalidArgument, path: path, "fps \(options.fps) must be positive")
        }
        return try atomically(path, policy: options.existing) { (tmp: String, final: String) throws(MediaError) in
            try encode(
                pixels, frames: frames, width: width, height: height, to: tmp, reportedPath: final,
                spec: .h264(crf: options.crf, preset: options.preset), fps: options.fps, threads: options.threads,
                rounding: options.rounding)
        }
    }

    /// Writes a `[1, 3, 1, H, W]` (or `[1, 3, H, W]`, `[3, H, W]`) image in [-1, 1] as an
    /// 8-bit RGB PNG.
    /// - Returns: the path written.
    @discardableResult
    public static func saveImage(
        _ pixels: Tensor, to path: String, existing: ExistingOutputPolicy = .number, rounding: EightBitRounding = .bfloat16
    ) throws(MediaError) -> String {
        let (height, width) = try imageShape(pixels, path: path)
        return try atomically(path, policy: existing) { (tmp: String, final: String) throws(MediaError) in
            let rgb = packFrame(pixels, frames: 1, frame: 0, width: width, height: height, rounding: rounding)
            try PNGCalls.writeRGB8(rgb, width: width, height: height, to: tmp, reportedPath: final)
        }
    }

    /// Writes each frame of a `[1, 3, F, H, W]` video as `frame_00000.png`, ... into a new
    /// directory at `path`. The directory appears complete or not at all; under `.overwrite`
    /// an existing directory is replaced after the new one is complete.
    /// - Returns: the directory written.
    @discardableResult
    public static func savePNGSequence(
        _ pixels: Tensor, to path: String, existing: ExistingOutputPolicy = .number, rounding: EightBitRounding = .bfloat16
    ) throws(MediaError) -> String {
        let (frames, height, width) = try videoShape(pixels, path: path)
        do {
            // Choosing the name and putting the directory in place are one step (ReelflowIO),
            // so concurrent saves under `.number` or `.refuse` cannot take the same name.
            return try AtomicFileWriter.writeDirectory(to: URL(fileURLWithPath: path), policy: existing) { tmp in
                for f in 0..<frames {
                    let rgb = packFrame(pixels, frames: frames, frame: f, width: width, height: height, rounding: rounding)
                    let name = String(format: "frame_%05d.png", f)
                    try PNGCalls.writeRGB8(rgb, width: width, height: height, to: tmp.appendingPathComponent(name).path,
                                           reportedPath: path + "/" + name)
                }
            }.path
        } catch let e as MediaError {
            throw e
        } catch {
            throw MediaError(.unwritable, path: path, Self.reason(error))
        }
    }
}

extension MediaWriter {
    /// x264's presets, fastest first.
    public static let x264Presets = [
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo",
    ]

    /// Runs `body(temporaryPath, requestedPath)` under `AtomicFileWriter.write(to:policy:)`,
    /// which chooses the final name and creates it in one step under `policy` (so concurrent
    /// saves under `.number` or `.refuse` never take the same name); maps its errors. The
    /// body's errors name the requested path, since under `.number` the final name is only
    /// known once the file is complete.
    static func atomically(_ path: String, policy: ExistingOutputPolicy, _ body: (String, String) throws(MediaError) -> Void) throws(MediaError) -> String {
        do {
            return try AtomicFileWriter.write(to: URL(fileURLWithPath: path), policy: policy) { tmp in
                try body(tmp.path, path)
            }.path
        } catch let e as MediaError {
            throw e
        } catch {
            throw MediaError(.unwritable, path: path, reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let e = error as? OutputFileError { return e.reason }
        return String(describing: error)
    }

    static func videoShape(_ t: Tensor, path: String) throws(MediaError) -> (frames: Int, height: Int, width: Int) {
        let s = t.shape
        if s.count == 5, s[0] == 1, s[1] == 3, s[2] > 0, s[3] > 0, s[4] > 0 { return (s[2], s[3], s[4]) }
        if s.count == 4, s[0] == 3, s[1] > 0, s[2] > 0, s[3] > 0 { return (s[1], s[2], s[3]) }
        throw MediaError(.invalidArgument, path: path, "a video to save must have shape [1, 3, F, H, W] with F, H, W > 0, got \(s)")
    }

    static func imageShape(_ t: Tensor, path: String) throws(MediaError) -> (height: Int, width: Int) {
        let s = t.shape
        if s.count == 5, s[0] == 1, s[1] == 3, s[2] == 1, s[3] > 0, s[4] > 0 { return (s[3], s[4]) }
        if s.count == 4, s[0] == 1, s[1] == 3, s[2] > 0, s[3] > 0 { return (s[2], s[3]) }
        if s.count == 3, s[0] == 3, s[1] > 0, s[2] > 0 { return (s[1], s[2]) }
        throw MediaError(.invalidArgument, path: path, "an image to save must have shape [1, 3, 1, H, W], [1, 3, H, W] or [3, H, W], got \(s)")
    }

    static func packFrame(_ t: Tensor, frames: Int, frame: Int, width: Int, height: Int, rounding: EightBitRounding = .bfloat16) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        t.withHostScalars { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                EightBit.packedFrame(src, frames: frames, frame: frame, width: width, height: height, rowBytes: width * 3, rounding: rounding, into: dst.baseAddress!)
            }
        }
        return rgb
    }
}

/// Which encoder, pixel format and muxer an encode uses.
struct EncoderSpec: Sendable {
    var codecName: String
    var pixelFormat: Int32
    var options: [String: String]
    /// Muxer name; nil chooses by the file extension.
    var container: String?

    static func h264(crf: Int, preset: String) -> EncoderSpec {
        EncoderSpec(codecName: "libx264", pixelFormat: FFmpeg.yuv420p, options: ["crf": String(crf), "preset": preset], container: nil)
    }
}
