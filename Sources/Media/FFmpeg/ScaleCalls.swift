internal import CFFmpeg

/// A pixel-format converter (`SwsContext`), same size in and out. Uses bilinear filtering
/// flags, as PyAV's `VideoFrame.reformat` does by default. The corresponding C functions are
/// `sws_getContext`, `sws_setColorspaceDetails`, `sws_scale` and `sws_freeContext`.
final class Scaler {
    let pointer: OpaquePointer
    let width: Int
    let height: Int
    let sourceFormat: Int32
    let destinationFormat: Int32
    let sourceColorspace: Int32
    let sourceFullRange: Bool

    /// - Parameters:
    ///   - sourceColorspace: `AVColorSpace` of YUV input (unspecified means BT.601), as the
    ///     decoded frame reports it.
    ///   - sourceFullRange: whether YUV input uses the full (JPEG) range.
    init(
        width: Int, height: Int, from sourceFormat: Int32, to destinationFormat: Int32,
        sourceColorspace: Int32 = 2, sourceFullRange: Bool = false, path: String
    ) throws(MediaError) {
        guard FFmpeg.canConvert(sourceFormat) else {
            throw MediaError(
                .unsupportedPixelFormat, path: path,
                "pixel format \(FFmpeg.pixelFormatName(sourceFormat)) cannot be converted to RGB by libswscale")
        }
        guard
            let ctx = sws_getContext(
                Int32(width), Int32(height), AVPixelFormat(rawValue: sourceFormat),
                Int32(width), Int32(height), AVPixelFormat(rawValue: destinationFormat),
                SWS_BILINEAR, nil, nil, nil)
        else {
            throw MediaError(
                .unsupportedPixelFormat, path: path,
                "libswscale cannot convert \(FFmpeg.pixelFormatName(sourceFormat)) to \(FFmpeg.pixelFormatName(destinationFormat)) at \(width)x\(height)")
        }
        pointer = ctx
        self.width = width
        self.height = height
        self.sourceFormat = sourceFormat
        self.destinationFormat = destinationFormat
        self.sourceColorspace = sourceColorspace
        self.sourceFullRange = sourceFullRange
        // Keep libswscale's defaults for everything but the source matrix and range, which
        // come from the frame (as ffmpeg's scale filter and PyAV do).
        var invTable: UnsafeMutablePointer<Int32>? = nil
        var table: UnsafeMutablePointer<Int32>? = nil
        var srcRange: Int32 = 0
        var dstRange: Int32 = 0
        var brightness: Int32 = 0
        var contrast: Int32 = 0
        var saturation: Int32 = 0
        if sws_getColorspaceDetails(
            ctx, &invTable, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) >= 0,
            let table
        {
            let fullRange: Int32 = sourceFullRange ? 1 : srcRange
            _ = sws_setColorspaceDetails(
                ctx, sws_getCoefficients(sourceColorspace), fullRange, table, dstRange,
                brightness, contrast, saturation)
        }
    }

    deinit { sws_freeContext(pointer) }

    func matches(_ frame: Frame) -> Bool {
        frame.width == width && frame.height == height && frame.pixelFormat == sourceFormat
            && frame.colorspace == sourceColorspace && frame.isFullRange == sourceFullRange
    }

    /// Converts a decoded frame into packed pixels at `destination` (`rowBytes` a row).
    func convert(_ frame: Frame, to destination: UnsafeMutablePointer<UInt8>, rowBytes: Int) {
        var dstData: [UnsafeMutablePointer<UInt8>?] = [destination, nil, nil, nil]
        var dstStride: [Int32] = [Int32(rowBytes), 0, 0, 0]
        withUnsafePointer(to: &frame.pointer.pointee.data) { data in
            withUnsafePointer(to: &frame.pointer.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(pointer, src, stride, 0, Int32(height), &dstData, &dstStride)
                    }
                }
            }
        }
    }

    /// Converts packed pixels at `source` into the planes of `frame` (already allocated).
    func convert(packed source: UnsafePointer<UInt8>, rowBytes: Int, into frame: Frame) {
        var srcData: [UnsafePointer<UInt8>?] = [source, nil, nil, nil]
        var srcStride: [Int32] = [Int32(rowBytes), 0, 0, 0]
        withUnsafeMutablePointer(to: &frame.pointer.pointee.data) { data in
            withUnsafeMutablePointer(to: &frame.pointer.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { stride in
                        _ = sws_scale(pointer, &srcData, &srcStride, 0, Int32(height), dst, stride)
                    }
                }
            }
        }
    }
}

extension Frame {
    /// Gives the frame its own buffers for `width`x`height` in `format`.
    /// The corresponding C function is `av_frame_get_buffer`.
    func allocate(width: Int, height: Int, format: Int32, path: String) throws(MediaError) {
        pointer.pointee.width = Int32(width)
        pointer.pointee.height = Int32(height)
        pointer.pointee.format = format
        try FFmpeg.check(
            av_frame_get_buffer(pointer, 0), library: "libavutil",
            while: "allocating a \(width)x\(height) frame", path: path)
    }

    /// Makes the buffers writable (a copy if an encoder still holds them).
    /// The corresponding C function is `av_frame_make_writable`.
    func makeWritable(path: String) throws(MediaError) {
        try FFmpeg.check(av_frame_make_writable(pointer), library: "libavutil", while: "preparing a frame", path: path)
    }
}
