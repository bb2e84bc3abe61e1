internal import CFFmpeg

/// An encoder (`AVCodecContext` opened for encoding). The corresponding C functions are
/// `avcodec_find_encoder_by_name`, `avcodec_open2`, `avcodec_send_frame`,
/// `avcodec_receive_packet` and `avcodec_free_context`.
final class Encoder {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    let path: String

    /// - Parameters:
    ///   - options: codec private options such as `crf` and `preset` for libx264.
    ///   - globalHeader: put SPS/PPS in extradata (required by MP4).
    init(
        codecName: String, width: Int, height: Int, pixelFormat: Int32, fps: Double,
        options: [String: String], globalHeader: Bool, threads: Int, path: String
    ) throws(MediaError) {
        self.path = path
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw MediaError(.unwritable, path: path, "the FFmpeg libraries have no \(codecName) encoder")
        }
        _ = FFmpeg.quietLogging
        guard let ctx = avcodec_alloc_context3(codec) else { fatalError("avcodec_alloc_context3: out of memory") }
        pointer = ctx
        let rate = av_d2q(fps, 100_000)
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = AVPixelFormat(rawValue: pixelFormat)
        ctx.pointee.framerate = rate
        ctx.pointee.time_base = AVRational(num: rate.den, den: rate.num)
        ctx.pointee.thread_count = Int32(threads)
        if globalHeader { ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        var dict: OpaquePointer? = nil
        for (k, v) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dict, k, v, 0) }
        let opened = avcodec_open2(ctx, codec, &dict)
        var unused: [String] = []
        var e: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX) {
            unused.append(String(cString: next.pointee.key))
            e = next
        }
        av_dict_free(&dict)
        try FFmpeg.check(opened, library: "libavcodec", while: "opening the \(codecName) encoder (\(width)x\(height), options \(options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))", path: path)
        guard unused.isEmpty else {
            throw MediaError(.invalidArgument, path: path, "the \(codecName) encoder does not know the option(s) \(unused.joined(separator: ", "))")
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&p)
    }

    var timeBase: AVRational { pointer.pointee.time_base }

    /// Sends a frame with presentation time `pts` (in frames), or nil to drain.
    func send(_ frame: Frame?, pts: Int64 = 0) throws(MediaError) {
        frame?.pointer.pointee.pts = pts
        try FFmpeg.check(avcodec_send_frame(pointer, frame?.pointer), library: "libavcodec", while: "encoding a frame", path: path)
    }

    /// Receives one packet; false when the encoder needs input or is drained.
    func receive(into packet: Packet) throws(MediaError) -> Bool {
        let r = avcodec_receive_packet(pointer, packet.pointer)
        if r == FFmpeg.eof || r == FFmpeg.again { return false }
        try FFmpeg.check(r, library: "libavcodec", while: "encoding a frame", path: path)
        return true
    }
}

/// An output container being written (`AVFormatContext` with an `AVIOContext`). The
/// corresponding C functions are `avformat_alloc_output_context2`, `avio_open`,
/// `avformat_write_header`, `av_interleaved_write_frame`, `av_write_trailer`, `avio_closep` and
/// `avformat_free_context`.
final class OutputFile {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    /// Where the bytes go (a temporary file); `reportedPath` is what errors name.
    let path: String
    let reportedPath: String

    /// - Parameter format: muxer name ("mp4", "nut"); nil chooses by the path's extension.
    init(path: String, reportedPath: String, format: String? = nil) throws(MediaError) {
        _ = FFmpeg.quietLogging
        self.path = path
        self.reportedPath = reportedPath
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpeg.check(
            avformat_alloc_output_context2(&ctx, nil, format, path), library: "libavformat",
            while: "choosing a container for the file name", path: reportedPath)
        guard let ctx else { throw MediaError(.unwritable, path: reportedPath, "libavformat chose no container") }
        pointer = ctx
        if (ctx.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            try FFmpeg.check(
                avio_open(&ctx.pointee.pb, path, AVIO_FLAG_WRITE), library: "libavformat",
                while: "opening the file for writing", path: reportedPath)
        }
    }

    deinit {
        if pointer.pointee.pb != nil { avio_closep(&pointer.pointee.pb) }
        avformat_free_context(pointer)
    }

    /// Whether the muxer wants codec headers in extradata.
    var wantsGlobalHeader: Bool { (pointer.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 }

    /// Adds a stream carrying `encoder`'s output. Returns its index.
    func addStream(for encoder: Encoder) throws(MediaError) -> Int {
        guard let s = avformat_new_stream(pointer, nil) else { fatalError("avformat_new_stream: out of memory") }
        try FFmpeg.check(
            avcodec_parameters_from_context(s.pointee.codecpar, encoder.pointer), library: "libavcodec",
            while: "describing the video stream", path: reportedPath)
        s.pointee.time_base = encoder.timeBase
        s.pointee.avg_frame_rate = encoder.pointer.pointee.framerate
        return Int(s.pointee.index)
    }

    /// Adds a rawvideo stream of `pixelFormat` (no encoder; packets are raw frames).
    func addRawVideoStream(width: Int, height: Int, pixelFormat: Int32, fps: Int) -> Int {
        guard let s = avformat_new_stream(pointer, nil) else { fatalError("avformat_new_stream: out of memory") }
        let par = s.pointee.codecpar!
        par.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        par.pointee.codec_id = AV_CODEC_ID_RAWVIDEO
        par.pointee.width = Int32(width)
        par.pointee.height = Int32(height)
        par.pointee.format = pixelFormat
        s.pointee.time_base = AVRational(num: 1, den: Int32(fps))
        return Int(s.pointee.index)
    }

    func writeHeader() throws(MediaError) {
        try FFmpeg.check(avformat_write_header(pointer, nil), library: "libavformat", while: "writing the container header", path: reportedPath)
    }

    /// Writes a packet whose timestamps are in `timeBase` to stream `index`.
    func write(_ packet: Packet, stream index: Int, timeBase: AVRational) throws(MediaError) {
        packet.pointer.pointee.stream_index = Int32(index)
        av_packet_rescale_ts(packet.pointer, timeBase, pointer.pointee.streams[index]!.pointee.time_base)
        try FFmpeg.check(av_interleaved_write_frame(pointer, packet.pointer), library: "libavformat", while: "writing a packet", path: reportedPath)
    }

    /// Writes `bytes` as one packet with presentation time `pts` (in 1/fps) to stream `index`.
    func writeRaw(_ bytes: [UInt8], pts: Int64, fps: Int, stream index: Int) throws(MediaError) {
        let packet = Packet()
        try FFmpeg.check(av_new_packet(packet.pointer, Int32(bytes.count)), library: "libavcodec", while: "allocating a packet", path: reportedPath)
        bytes.withUnsafeBufferPointer { packet.pointer.pointee.data.update(from: $0.baseAddress!, count: bytes.count) }
        packet.pointer.pointee.pts = pts
        packet.pointer.pointee.dts = pts
        packet.pointer.pointee.duration = 1
        packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY
        try write(packet, stream: index, timeBase: AVRational(num: 1, den: Int32(fps)))
    }

    func writeTrailer() throws(MediaError) {
        try FFmpeg.check(av_write_trailer(pointer), library: "libavformat", while: "finishing the container", path: reportedPath)
        try FFmpeg.check(avio_closep(&pointer.pointee.pb), library: "libavformat", while: "closing the file", path: reportedPath)
    }
}
