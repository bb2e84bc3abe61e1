import Foundation

/// The text `reelflow inspect FILE` prints for media files.
public enum MediaInspection {
    /// Describes a media file: for video its container, each stream (codec, size, pixel
    /// format, fps, frame count); for an image its format, size, bit depth and channels.
    ///
    /// The main video stream is decoded in full (without colour conversion) to count its
    /// frames, so a truncated or damaged file fails here with the same error loading gives.
    /// - Parameter decodedFrameCount: the main video stream's frame count when the caller has
    ///   just decoded the whole stream (`DecodedVideo.decodedFrameCount` of a load without
    ///   start frame or cap); the stream is then not decoded a second time.
    /// - Throws: `MediaError`, as `MediaLoader` would for the same file.
    public static func report(path: String, decodedFrameCount: Int? = nil) throws(MediaError) -> String {
        if let png = try PNGReader(path: path) {
            let info = try MediaLoader.pngInfo(try png.readHeader(), path: path)
            // Decode the data too: a damaged PNG must fail here as it fails to load.
            _ = try png.readRGB8(width: info.width, height: info.height)
            return imageReport(info, path: path)
        }
        let input = try InputFile(path: path)
        let (videoIndex, video) = try MediaLoader.videoStream(of: input)
        let isImage = video.container.hasSuffix("_pipe") || video.container == "image2"
        if isImage {
            return imageReport(try MediaLoader.decodeWithFFmpeg(path: path).1, path: path)
        }
        // Decode every frame (no conversion): the count is exact and damage shows up with the
        // error loading would give.
        let frames: Int
        if let decodedFrameCount {
            frames = decodedFrameCount
        } else {
            frames = try MediaLoader.decodeFrames(of: input, stream: videoIndex, info: video, threads: 0) { _ in true }
        }
        guard frames > 0 else { throw MediaError(.empty, path: path, "the video stream has no frames") }
        var lines = ["file: \(path)", "container: \(video.container) (\(input.formatName.long))"]
        if let d = input.durationSeconds { lines.append("duration: \(format(d)) s") }
        for i in 0..<input.streamCount {
            let p = input.parameters(ofStream: i)
            var line = "stream \(i): \(p.mediaType) \(p.codecName)"
            if let profile = p.profile { line += " (\(profile))" }
            switch p.mediaType {
            case "video":
                let fps = p.frameRate.den == 0 ? 0 : Double(p.frameRate.num) / Double(p.frameRate.den)
                line += ", \(p.width)x\(p.height), \(p.pixelFormat >= 0 ? FFmpeg.pixelFormatName(p.pixelFormat) : "unknown"),"
                line += " \(format(fps)) fps (\(p.frameRate.num)/\(p.frameRate.den))"
                if i == videoIndex {
                    line += ", \(frames) frames (decoded) [main]"
                } else if p.declaredFrameCount > 0 {
                    line += ", \(p.declaredFrameCount) frames (declared)"
                }
            case "audio":
                line += ", \(p.sampleRate) Hz, \(p.channels) channels"
            default:
                break
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func imageReport(_ info: ImageInfo, path: String) -> String {
        var lines = [
            "file: \(path)",
            "image: \(info.format), \(info.width)x\(info.height)",
            "bit depth: \(info.bitDepth)",
            "channels: \(info.channels) (\(info.layout)\(info.hasAlpha ? ", alpha dropped on load" : ""))",
        ]
        if info.interlaced { lines.append("interlaced: yes") }
        return lines.joined(separator: "\n")
    }

    private static func format(_ x: Double) -> String {
        let s = String(format: "%.3f", x)
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}
