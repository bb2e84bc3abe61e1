import Foundation
import Tensors

/// Loading videos and images as preprocessed tensors, the work behind the LoadVideo and
/// LoadImage nodes.
public enum MediaLoader {}

extension MediaLoader {
    /// What the file's main video stream declares, without decoding it.
    /// - Throws: `MediaError` for a missing, unreadable or non-video file.
    public static func videoInfo(path: String) throws(MediaError) -> VideoInfo {
        let input = try InputFile(path: path)
        return try videoStream(of: input).info
    }

    /// Decodes the main video stream of `path` into `[1, 3, F, H, W]` floats in [-1, 1]:
    /// each frame converted to 8-bit RGB (bilinear libswscale, the frame's own matrix and
    /// range, as PyAV does), resized and centre-cropped as ltx-pipelines does, normalised.
    ///
    /// Frames are written into the output as they are decoded; nothing else of video size is
    /// held.
    /// - Throws: `MediaError` naming the file and the problem (missing file, not media,
    ///   corrupt or truncated stream, no frames, absurd size, unsupported pixel format).
    public static func loadVideo(path: String, options: VideoLoadOptions = .init()) throws(MediaError) -> DecodedVideo {
        try validate(options, path: path)
        let input = try InputFile(path: path)
        let (streamIndex, info) = try videoStream(of: input)
        let target = options.size ?? PixelSize(width: info.width, height: info.height)
        let decoder = try Decoder(stream: input.stream(streamIndex), threads: options.decoderThreads, path: path)

        var available = info.declaredFrameCount > 0
            ? info.declaredFrameCount
            : Int(((info.durationSeconds ?? 0) * info.fps).rounded(.up))
        available = max(1, available - options.startFrame)
        let wanted = options.frameCap.map { min($0, available) } ?? available
        var session = FrameSink(
            store: PlanarFrameStore(width: target.width, height: target.height, estimatedFrames: wanted),
            target: target, skip: options.startFrame, cap: options.frameCap, path: path)

        let packet = Packet()
        let frame = Frame()
        reading: while try input.read(into: packet) {
            defer { packet.unref() }
            guard packet.streamIndex == streamIndex else { continue }
            try decoder.send(packet)
            while try decoder.receive(into: frame) {
                defer { frame.unref() }
                try session.take(frame)
                if session.isFull { break reading }
            }
        }
        if !session.isFull {
            try decoder.send(nil)
            while try decoder.receive(into: frame) {
                defer { frame.unref() }
                try session.take(frame)
                if session.isFull { break }
            }
        }
        guard session.store.count > 0 else {
            let seen = session.seen
            throw MediaError(
                .empty, path: path,
                seen == 0
                    ? "the video stream has no frames"
                    : "the video stream has \(seen) frames, none at or after start frame \(options.startFrame)")
        }
        let decoded = session.store.count
        let pixels = session.store.finish(frames: options.frameCountRule.frameCount(from: decoded))
        return DecodedVideo(pixels: pixels, fps: info.fps, decodedFrameCount: decoded, source: info)
    }

    static func validate(_ options: VideoLoadOptions, path: String) throws(MediaError) {
        guard options.startFrame >= 0 else {
            throw MediaError(.invalidArgument, path: path, "start frame \(options.startFrame) is negative")
        }
        if let cap = options.frameCap, cap < 1 {
            throw MediaError(.invalidArgument, path: path, "frame cap \(cap) must be at least 1")
        }
        if let size = options.size {
            try MediaLimits.check(width: size.width, height: size.height, what: "the requested output size", path: path)
        }
    }

    /// The main video stream and its description; refuses files without one and streams
    /// whose declared size or pixel format cannot be handled.
    static func videoStream(of input: InputFile) throws(MediaError) -> (index: Int, info: VideoInfo) {
        guard let index = input.bestVideoStream() else {
            throw MediaError(.empty, path: input.path, "the file has no video stream (\(input.streamCount) streams, container \(input.formatName.short))")
        }
        let p = input.parameters(ofStream: index)
        try MediaLimits.check(width: p.width, height: p.height, what: "the video stream's frame size", path: input.path)
        if p.pixelFormat >= 0, !FFmpeg.canConvert(p.pixelFormat) {
            throw MediaError(
                .unsupportedPixelFormat, path: input.path,
                "the video stream's pixel format \(FFmpeg.pixelFormatName(p.pixelFormat)) cannot be converted to RGB by libswscale")
        }
        let info = VideoInfo(
            container: input.formatName.short, codec: p.codecName, width: p.width, height: p.height,
            pixelFormat: p.pixelFormat >= 0 ? FFmpeg.pixelFormatName(p.pixelFormat) : "unknown",
            frameRateNumerator: p.frameRate.num, frameRateDenominator: p.frameRate.den,
            declaredFrameCount: p.declaredFrameCount, durationSeconds: p.durationSeconds ?? input.durationSeconds,
            metadata: input.metadata.merging(p.metadata) { _, stream in stream })
        return (index, info)
    }
}

/// Takes decoded frames: skips up to the start frame, converts to RGB, resizes and crops
/// into the store, and stops at the cap.
struct FrameSink {
    var store: PlanarFrameStore
    let target: PixelSize
    let skip: Int
    let cap: Int?
    let path: String
    private(set) var seen = 0
    private var scaler: Scaler?
    private var plan: ResizeCropPlan?
    private var rgb: [UInt8] = []

    init(store: PlanarFrameStore, target: PixelSize, skip: Int, cap: Int?, path: String) {
        self.store = store
        self.target = target
        self.skip = skip
        self.cap = cap
        self.path = path
    }

    var isFull: Bool { cap.map { store.count >= $0 } ?? false }

    mutating func take(_ frame: Frame) throws(MediaError) {
        seen += 1
        guard seen > skip, !isFull else { return }
        if scaler.map({ !$0.matches(frame) }) ?? true {
            try MediaLimits.check(width: frame.width, height: frame.height, what: "decoded frame \(seen - 1)", path: path)
            scaler = try Scaler(
                width: frame.width, height: frame.height, from: frame.pixelFormat, to: FFmpeg.rgb24,
                sourceColorspace: frame.colorspace, sourceFullRange: frame.isFullRange, path: path)
            plan = ResizeCropPlan(
                sourceWidth: frame.width, sourceHeight: frame.height, width: target.width, height: target.height)
            rgb = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        }
        let (scaler, plan) = (scaler!, plan!)
        let rowBytes = frame.width * 3
        rgb.withUnsafeMutableBufferPointer { buf in
            scaler.convert(frame, to: buf.baseAddress!, rowBytes: rowBytes)
        }
        rgb.withUnsafeBufferPointer { src in
            store.appendFrame { r, g, b in
                plan.applyInParallel(rgb: src.baseAddress!, sourceRowBytes: rowBytes, red: r, green: g, blue: b)
            }
        }
    }
}
