internal import CPNG

/// PNG header fields as libpng reports them.
struct PNGHeader: Sendable, Equatable {
    var width: Int
    var height: Int
    var bitDepth: Int
    /// libpng colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    var colorType: Int
    var interlaced: Bool

    var channels: Int {
        switch colorType {
        case 0: return 1
        case 2: return 3
        case 3: return 3
        case 4: return 2
        case 6: return 4
        default: return 0
        }
    }

    var colorTypeName: String {
        switch colorType {
        case 0: return "gray"
        case 2: return "RGB"
        case 3: return "palette"
        case 4: return "gray+alpha"
        case 6: return "RGBA"
        default: return "colour type \(colorType)"
        }
    }
}

/// An open PNG file being read (`png_struct` plus its `png_info` and `FILE`). libpng's
/// longjmp error handling stays in the C shim (`cpng_reader_*` in `Sources/CPNG/shim.h`).
/// The corresponding C functions are `png_create_read_struct`, `png_read_info`,
/// `png_read_image` and `png_destroy_read_struct`.
final class PNGReader {
    private let reader: UnsafeMutablePointer<cpng_reader>
    let path: String

    /// Returns nil when the file opens but is not a PNG (so other decoders may try it).
    init?(path: String) throws(MediaError) {
        self.path = path
        var message = [CChar](repeating: 0, count: 256)
        var notPNG: Int32 = 0
        guard let r = cpng_reader_open(path, &message, message.count, &notPNG) else {
            if notPNG != 0 { return nil }
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MediaError(.unreadable, path: path, "cannot open the file: \(text)")
        }
        reader = r
    }

    deinit { cpng_reader_close(reader) }

    private var message: String { String(cString: cpng_reader_message(reader)) }

    func readHeader() throws(MediaError) -> PNGHeader {
        var w: UInt32 = 0, h: UInt32 = 0
        var depth: Int32 = 0, ctype: Int32 = 0, ilace: Int32 = 0
        guard cpng_reader_read_info(reader, &w, &h, &depth, &ctype, &ilace) == 0 else {
            throw MediaError(.invalidData, path: path, "libpng error (\(message)) while reading the PNG header")
        }
        return PNGHeader(
            width: Int(w), height: Int(h), bitDepth: Int(depth), colorType: Int(ctype), interlaced: ilace != 0)
    }

    /// Decodes to packed 8-bit RGB (palette expanded, gray replicated, alpha dropped, 16-bit
    /// samples keep their high byte). Call after `readHeader`.
    func readRGB8(width: Int, height: Int) throws(MediaError) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let ok = pixels.withUnsafeMutableBufferPointer { cpng_reader_read_rgb8(reader, $0.baseAddress, $0.count) }
        guard ok == 0 else {
            throw MediaError(.invalidData, path: path, "libpng error (\(message)) while decoding the image data")
        }
        return pixels
    }
}

enum PNGCalls {
    /// Writes packed 8-bit RGB to `path`. The corresponding C function is
    /// `png_image_write_to_file`.
    static func writeRGB8(_ rgb: [UInt8], width: Int, height: Int, to path: String, reportedPath: String) throws(MediaError) {
        var message = [CChar](repeating: 0, count: 256)
        let r = rgb.withUnsafeBufferPointer {
            cpng_write_rgb8(path, UInt32(width), UInt32(height), $0.baseAddress, &message, message.count)
        }
        guard r == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MediaError(.unwritable, path: reportedPath, "libpng error (\(text)) while writing the PNG")
        }
    }
}
