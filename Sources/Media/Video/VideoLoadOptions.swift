import Tensors

/// How many frames a loaded video keeps once decoding has stopped.
///
/// The LTX video VAE takes `8k + 1` frames; ltx-core's encoder silently crops any other count
/// to the longest `8k + 1` prefix. Choosing here makes that explicit.
public enum FrameCountRule: String, Sendable, CaseIterable {
    /// Keep every decoded frame (up to the cap).
    case asDecoded
    /// Keep the longest `8k + 1` prefix (what ltx-core's encoder would do): 80 frames -> 73.
    case truncateTo8kPlus1
    /// Repeat the last frame up to the next `8k + 1` count: 80 frames -> 81.
    case padTo8kPlus1

    /// The frame count this rule produces from `count` decoded frames (`count` >= 1).
    public func frameCount(from count: Int) -> Int {
        switch self {
        case .asDecoded: return count
        case .truncateTo8kPlus1: return (count - 1) / 8 * 8 + 1
        case .padTo8kPlus1: return (count + 6) / 8 * 8 + 1
        }
    }
}

/// A width and height in pixels.
public struct PixelSize: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
    public var description: String { "\(width)x\(height)" }
}

/// Options for `MediaLoader.loadVideo`.
public struct VideoLoadOptions: Sendable, Equatable {
    /// Output width and height; nil keeps the source size. Both or neither.
    public var size: PixelSize?
    /// Frames skipped from the start of the stream (decode order is presentation order).
    public var startFrame: Int
    /// At most this many frames after `startFrame` (ltx-pipelines' `frame_cap`); nil for all.
    public var frameCap: Int?
    /// What to do with a frame count that is not `8k + 1`.
    public var frameCountRule: FrameCountRule
    /// libavcodec threads; 0 lets it choose (frame and slice threads).
    public var decoderThreads: Int

    public init(
        size: PixelSize? = nil, startFrame: Int = 0, frameCap: Int? = nil,
        frameCountRule: FrameCountRule = .asDecoded, decoderThreads: Int = 0
    ) {
        self.size = size
        self.startFrame = startFrame
        self.frameCap = frameCap
        self.frameCountRule = frameCountRule
        self.decoderThreads = decoderThreads
    }
}

/// What a video file's main video stream declares.
public struct VideoInfo: Sendable, Equatable {
    /// Demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    public var container: String
    /// Codec name, e.g. "h264".
    public var codec: String
    public var width: Int
    public var height: Int
    /// Pixel format name, e.g. "yuv420p".
    public var pixelFormat: String
    /// Frames per second as a fraction (average frame rate of the stream).
    public var frameRateNumerator: Int
    public var frameRateDenominator: Int
    /// Frame count the container declares; 0 when it does not say.
    public var declaredFrameCount: Int
    /// Stream duration in seconds, when known.
    public var durationSeconds: Double?
    /// Container and stream metadata tags (stream tags win on a clash).
    public var metadata: [String: String]

    /// Frames per second as a floating-point value (0 when unknown).
    public var fps: Double {
        frameRateDenominator == 0 ? 0 : Double(frameRateNumerator) / Double(frameRateDenominator)
    }
}

/// A decoded, preprocessed video.
public struct DecodedVideo: Sendable {
    /// `[1, 3, F, H, W]` Float32 RGB in [-1, 1] (`v / 127.5 - 1` of the 8-bit value after
    /// resize and crop). ltx-pipelines casts this to bf16 afterwards; that cast is left to the
    /// consumer.
    public var pixels: Tensor
    /// The source stream's frame rate (frames per second).
    public var fps: Double
    /// Frames actually decoded before the frame-count rule (after start and cap).
    public var decodedFrameCount: Int
    /// The source as declared by its container.
    public var source: VideoInfo

    public var frameCount: Int { pixels.shape[2] }
    public var height: Int { pixels.shape[3] }
    public var width: Int { pixels.shape[4] }
}
