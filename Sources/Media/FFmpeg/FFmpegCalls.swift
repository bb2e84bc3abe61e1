internal import CFFmpeg
import Foundation

/// Shared pieces of the FFmpeg wrapper: error text, return-code checks, logging and the few
/// constants Swift cannot import. Every FFmpeg call of this module sits in the `*Calls.swift`
/// files of this folder.
enum FFmpeg {
    /// FFmpeg logs decoder complaints ("error while decoding MB ...") to stderr; a library
    /// reports through its errors instead. Set once, before the first call.
    static let quietLogging: Void = { av_log_set_level(AV_LOG_FATAL) }()

    static var eof: Int32 { cffmpeg_averror_eof() }
    static var again: Int32 { cffmpeg_averror_eagain() }
    static var noPTS: Int64 { cffmpeg_nopts_value() }

    /// `av_strerror` text for an FFmpeg error code.
    static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 { return "unknown error" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The error for a failed FFmpeg call, classified by its code.
    /// Message form: "libavformat error -2 (No such file or directory) while opening the file".
    static func error(
        _ code: Int32, library: String, while action: String, path: String
    ) -> MediaError {
        let kind: MediaError.Kind
        switch code {
        case cffmpeg_averror(ENOENT), cffmpeg_averror(EACCES), cffmpeg_averror(EISDIR):
            kind = .unreadable
        case cffmpeg_averror(ENOMEM):
            kind = .invalidArgument
        default:
            kind = .invalidData
        }
        return MediaError(kind, path: path, "\(library) error \(code) (\(text(code))) while \(action)")
    }

    /// Throws for a negative return code, passes the value through otherwise.
    @discardableResult
    static func check(
        _ code: Int32, library: String, while action: @autoclosure () -> String, path: String
    ) throws(MediaError) -> Int32 {
        if code < 0 { throw error(code, library: library, while: action(), path: path) }
        return code
    }

    /// The short name of a pixel format ("yuv420p"), or "unknown".
    static func pixelFormatName(_ raw: Int32) -> String {
        guard let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: raw)) else { return "unknown" }
        return String(cString: name)
    }

    /// Bits per sample of the first component and the component count of a pixel format.
    static func pixelFormatDepthAndComponents(_ raw: Int32) -> (depth: Int, components: Int, hasAlpha: Bool) {
        guard let d = av_pix_fmt_desc_get(AVPixelFormat(rawValue: raw)) else { return (0, 0, false) }
        let hasAlpha = (d.pointee.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA)) != 0
        return (Int(d.pointee.comp.0.depth), Int(d.pointee.nb_components), hasAlpha)
    }

    /// Whether libswscale can read this pixel format.
    static func canConvert(_ raw: Int32) -> Bool {
        sws_isSupportedInput(AVPixelFormat(rawValue: raw)) > 0
    }

    /// The pixel format called `name` ("yuvj420p"), or nil.
    static func pixelFormat(named name: String) -> Int32? {
        let f = av_get_pix_fmt(name)
        return f == AV_PIX_FMT_NONE ? nil : f.rawValue
    }

    static var rgb24: Int32 { AV_PIX_FMT_RGB24.rawValue }
    static var yuv420p: Int32 { AV_PIX_FMT_YUV420P.rawValue }
}
