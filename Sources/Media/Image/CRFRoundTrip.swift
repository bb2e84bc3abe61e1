/// The lossy H.264 round trip ltx-pipelines applies to conditioning images (`preprocess` in
/// `ltx_pipelines/utils/media_io.py`): crop to an even size (top-left kept), convert RGB to
/// yuv420p (BT.601 limited range, bilinear), encode one frame with libx264 at the given CRF
/// and preset veryfast, decode it back, convert to RGB. The image then looks like a frame of
/// the videos the model was trained on.
///
/// Done in memory: the packets go straight from encoder to decoder (ltx-pipelines muxes them
/// into an in-memory MP4 first, which does not change the decoded pixels).
enum CRFRoundTrip {
    static func apply(_ image: RGB8Image, crf: Int, path: String) throws(MediaError) -> RGB8Image {
        let w = image.width / 2 * 2
        let h = image.height / 2 * 2
        guard w >= 2, h >= 2 else {
            throw MediaError(.invalidArgument, path: path, "the image is \(image.width)x\(image.height); the CRF round trip needs at least 2x2 (set crf 0 to skip it)")
        }
        var cropped = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let src = y * image.width * 3
            cropped.replaceSubrange(y * w * 3..<(y + 1) * w * 3, with: image.bytes[src..<src + w * 3])
        }
        let encoder = try Encoder(
            codecName: "libx264", width: w, height: h, pixelFormat: FFmpeg.yuv420p, fps: 1,
            options: ["crf": String(crf), "preset": "veryfast"], globalHeader: false, threads: 1, path: path)
        let toYUV = try Scaler(width: w, height: h, from: FFmpeg.rgb24, to: FFmpeg.yuv420p, path: path)
        let frame = Frame()
        try frame.allocate(width: w, height: h, format: FFmpeg.yuv420p, path: path)
        cropped.withUnsafeBufferPointer { toYUV.convert(packed: $0.baseAddress!, rowBytes: w * 3, into: frame) }
        var packets: [Packet] = []
        let packet = Packet()
        try encoder.send(frame, pts: 0)
        try encoder.send(nil)
        while try encoder.receive(into: packet) {
            packets.append(try packet.copy(path: path))
            packet.unref()
        }
        let decoder = try Decoder.h264(path: path)
        let decoded = Frame()
        var got = false
        for p in packets {
            try decoder.send(p)
            if try decoder.receive(into: decoded) { got = true; break }
        }
        if !got {
            try decoder.send(nil)
            got = try decoder.receive(into: decoded)
        }
        guard got else { throw MediaError(.invalidData, path: path, "the H.264 round trip returned no frame") }
        let toRGB = try Scaler(
            width: decoded.width, height: decoded.height, from: decoded.pixelFormat, to: FFmpeg.rgb24,
            sourceColorspace: decoded.colorspace, sourceFullRange: decoded.isFullRange, path: path)
        var out = [UInt8](repeating: 0, count: decoded.width * decoded.height * 3)
        out.withUnsafeMutableBufferPointer { toRGB.convert(decoded, to: $0.baseAddress!, rowBytes: decoded.width * 3) }
        return RGB8Image(width: decoded.width, height: decoded.height, bytes: out)
    }
}
