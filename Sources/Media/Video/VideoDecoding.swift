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

        var available = info.declaredFrameCount > 0
            ? info.declaredFrameCount
            : Int(((info.durationSeconds ?? 0) * info.fps).rounded(.up))
        available = max(1, available - options.startFrame)
        // Headers can lie: trust the estimate for at most 1 GiB of output, then grow.
        let trusted = max(1, (1 << 30) / (12 * target.width * target.height))
        let wanted = min(options.frameCap.map { min($0, available) } ?? available, trusted)
        var session = FrameSink(
            store: PlanarFrameStore(width: target.width, height: target.height, estimatedFrames: wanted),
            target: target, skip: options.startFrame, cap: options.frameCap, path: path)
        defer { session.store.stopWarming() }

        let seen = try decodeFrames(of: input, stream: streamIndex, info: info, threads: options.decoderThreads) { frame throws(MediaError) in
            try session.take(frame)
            return !session.isFull
        }
        guard session.store.count > 0 else {
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

    /// Demuxes and decodes the main video stream, handing each frame to `body` until it
    /// returns false or the stream ends. Shared by loading and inspecting, so both fail the
    /// same way on the same file.
    ///
    /// A stream that ends well short of the frame count its container declares (or its
    /// duration times its frame rate implies) is reported as truncated rather than returned
    /// short: missing frames would otherwise pass silently.
    /// - Returns: the number of frames decoded.
    static func decodeFrames(
        of input: InputFile, stream streamIndex: Int, info: VideoInfo, threads: Int,
        _ body: (Frame) throws(MediaError) -> Bool
    ) throws(MediaError) -> Int {
        let decoder = try Decoder(stream: input.stream(streamIndex), threads: threads, path: input.path)
        let packet = Packet()
        let frame = Frame()
        var seen = 0
        var packets = 0
        var more = true
        reading: while try input.read(into: packet) {
            defer { packet.unref() }
            guard packet.streamIndex == streamIndex else { continue }
            if Task.isCancelled {
                throw MediaError(.cancelled, path: input.path, "cancelled after \(seen) decoded frames")
            }
            packets += 1
            try decoder.send(packet, number: packets)
            while try decoder.receive(into: frame) {
                defer { frame.unref() }
                seen += 1
                more = try body(frame)
                if !more { break reading }
            }
        }
        guard more else { return seen }
        try decoder.send(nil, number: packets + 1)
        while try decoder.receive(into: frame) {
            defer { frame.unref() }
            seen += 1
            if try !body(frame) { return seen }
        }
        let expected = info.declaredFrameCount > 0 ? info.declaredFrameCount : info.impliedFrameCount
        if expected > 0, seen > 0, seen < expected - max(2, expected / 20) {
            throw MediaError(
                .invalidData, path: input.path,
                "the video stream is truncated or damaged: the container declares \(expected) frames (by count or duration) but only \(seen) could be decoded (\(packets) packets read)")
        }
        return seen
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
        if p.width == 0 || p.height == 0 {
            throw MediaError(
                .invalidData, path: input.path,
                "the video stream declares no frame size (\(p.width)x\(p.height)): the file is damaged or not a video FFmpeg can read")
        }
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
            declaredFrameCount: p.declaredFrameCount,
            impliedFrameCount: p.frameRateIsAverage && p.frameRate.den > 0
                ? Int(((p.durationSeconds ?? 0) * Double(p.frameRate.num) / Double(p.frameRate.den)).rounded()) : 0,
            durationSeconds: p.durationSeconds ?? input.durationSeconds,
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
    /// Frames received so far, including skipped ones.
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
            rgb = [UInt8](repeating: 0, count: Scaler.packedRowBytes(width: frame.width) * frame.height)
        }
        let (scaler, plan) = (scaler!, plan!)
        let rowBytes = Scaler.packedRowBytes(width: frame.width)
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
