internal import CFFmpeg

/// One `AVPacket`, reused across reads. The corresponding C functions are `av_packet_alloc`
/// and `av_packet_free`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let p = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    var streamIndex: Int { Int(pointer.pointee.stream_index) }
    var isKeyframe: Bool { (pointer.pointee.flags & AV_PKT_FLAG_KEY) != 0 }
    func unref() { av_packet_unref(pointer) }
}

/// One `AVFrame`, reused across decodes. The corresponding C functions are `av_frame_alloc`
/// and `av_frame_free`.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() {
        guard let p = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var pixelFormat: Int32 { pointer.pointee.format }
    /// BT.601/709/2020 selection as FFmpeg numbers it (`AVColorSpace`, equal to `SWS_CS_*`).
    var colorspace: Int32 { Int32(pointer.pointee.colorspace.rawValue) }
    var isFullRange: Bool { pointer.pointee.color_range == AVCOL_RANGE_JPEG }
    func unref() { av_frame_unref(pointer) }
}

/// A video stream's parameters as Swift values.
struct StreamParameters: Sendable {
    var index: Int
    var mediaType: String
    var codecName: String
    var codecLongName: String
    var profile: String?
    var width: Int
    var height: Int
    var pixelFormat: Int32
    /// `avg_frame_rate` (falls back to `r_frame_rate`), as numerator/denominator.
    var frameRate: (num: Int, den: Int)
    var declaredFrameCount: Int
    var durationSeconds: Double?
    var sampleRate: Int
    var channels: Int
    var metadata: [String: String]
}

/// An opened input file (`AVFormatContext`). The corresponding C functions are
/// `avformat_open_input`, `avformat_find_stream_info` and `avformat_close_input`.
final class InputFile {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    let path: String

    init(path: String) throws(MediaError) {
        _ = FFmpeg.quietLogging
        self.path = path
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        try FFmpeg.check(
            avformat_open_input(&ctx, path, nil, nil), library: "libavformat",
            while: "opening the file", path: path)
        guard let ctx else { throw MediaError(.invalidData, path: path, "libavformat opened no context") }
        pointer = ctx
        let found = avformat_find_stream_info(ctx, nil)
        if found < 0 {
            var p: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&p)
            throw FFmpeg.error(found, library: "libavformat", while: "reading the stream information", path: path)
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&p)
    }

    /// Short demuxer name ("mov,mp4,m4a,3gp,3g2,mj2") and long name.
    var formatName: (short: String, long: String) {
        guard let f = pointer.pointee.iformat else { return ("unknown", "unknown") }
        let long = f.pointee.long_name.map { String(cString: $0) } ?? ""
        return (String(cString: f.pointee.name), long)
    }

    var durationSeconds: Double? {
        let d = pointer.pointee.duration
        return d == FFmpeg.noPTS || d <= 0 ? nil : Double(d) / Double(AV_TIME_BASE)
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    var metadata: [String: String] { Self.dictionary(pointer.pointee.metadata) }

    /// The stream the demuxer considers the main video stream, if any.
    /// The corresponding C function is `av_find_best_stream`.
    func bestVideoStream() -> Int? {
        let i = av_find_best_stream(pointer, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        return i >= 0 ? Int(i) : nil
    }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        pointer.pointee.streams[index]!
    }

    func parameters(ofStream index: Int) -> StreamParameters {
        let s = stream(index)
        let par = s.pointee.codecpar!.pointee
        let type = av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown"
        let desc = avcodec_descriptor_get(par.codec_id)
        let name = desc.map { String(cString: $0.pointee.name) } ?? "unknown"
        let long = desc.flatMap { $0.pointee.long_name }.map { String(cString: $0) } ?? ""
        let profile = avcodec_profile_name(par.codec_id, par.profile).map { String(cString: $0) }
        var rate = s.pointee.avg_frame_rate
        if rate.num <= 0 || rate.den <= 0 { rate = s.pointee.r_frame_rate }
        let tb = s.pointee.time_base
        let duration: Double? =
            s.pointee.duration == FFmpeg.noPTS || tb.den == 0
            ? nil : Double(s.pointee.duration) * Double(tb.num) / Double(tb.den)
        return StreamParameters(
            index: index, mediaType: type, codecName: name, codecLongName: long, profile: profile,
            width: Int(par.width), height: Int(par.height), pixelFormat: par.format,
            frameRate: (Int(rate.num), Int(rate.den)),
            declaredFrameCount: Int(s.pointee.nb_frames), durationSeconds: duration,
            sampleRate: Int(par.sample_rate), channels: Int(par.ch_layout.nb_channels),
            metadata: Self.dictionary(s.pointee.metadata))
    }

    /// Reads the next packet. Returns false at the end of the file.
    /// The corresponding C function is `av_read_frame`.
    func read(into packet: Packet) throws(MediaError) -> Bool {
        let r = av_read_frame(pointer, packet.pointer)
        if r == FFmpeg.eof { return false }
        try FFmpeg.check(r, library: "libavformat", while: "reading packets", path: path)
        return true
    }

    private static func dictionary(_ dict: OpaquePointer?) -> [String: String] {
        var out: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let e = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            out[String(cString: e.pointee.key)] = String(cString: e.pointee.value)
            entry = e
        }
        return out
    }
}

/// A decoder for one stream (`AVCodecContext`). The corresponding C functions are
/// `avcodec_alloc_context3`, `avcodec_open2` and `avcodec_free_context`.
final class Decoder {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    let path: String

    /// - Parameter threads: 0 lets libavcodec choose (frame and slice threads).
    init(stream: UnsafeMutablePointer<AVStream>, threads: Int, path: String) throws(MediaError) {
        self.path = path
        let par = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            throw FFmpeg.error(
                cffmpeg_averror_decoder_not_found(), library: "libavcodec",
                while: "looking for a decoder for codec id \(par.pointee.codec_id.rawValue)", path: path)
        }
        guard let ctx = avcodec_alloc_context3(codec) else { fatalError("avcodec_alloc_context3: out of memory") }
        pointer = ctx
        try FFmpeg.check(
            avcodec_parameters_to_context(ctx, par), library: "libavcodec",
            while: "copying the stream parameters to the decoder", path: path)
        ctx.pointee.thread_count = Int32(threads)
        ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        ctx.pointee.pkt_timebase = stream.pointee.time_base
        try FFmpeg.check(
            avcodec_open2(ctx, codec, nil), library: "libavcodec",
            while: "opening the \(String(cString: codec.pointee.name)) decoder", path: path)
    }

    /// A decoder for raw codec parameters (used for in-memory round trips).
    init(codecID: AVCodecID, path: String) throws(MediaError) {
        self.path = path
        guard let codec = avcodec_find_decoder(codecID), let ctx = avcodec_alloc_context3(codec) else {
            throw FFmpeg.error(
                cffmpeg_averror_decoder_not_found(), library: "libavcodec",
                while: "looking for a decoder", path: path)
        }
        pointer = ctx
        ctx.pointee.thread_count = 1
        try FFmpeg.check(avcodec_open2(ctx, codec, nil), library: "libavcodec", while: "opening the decoder", path: path)
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&p)
    }

    /// Sends a packet, or nil to drain. The corresponding C function is `avcodec_send_packet`.
    func send(_ packet: Packet?) throws(MediaError) {
        let r = avcodec_send_packet(pointer, packet?.pointer)
        if r == FFmpeg.eof || r == FFmpeg.again { return }
        try FFmpeg.check(r, library: "libavcodec", while: "decoding a packet", path: path)
    }

    /// Receives one decoded frame. Returns false when the decoder needs more input or is
    /// drained. The corresponding C function is `avcodec_receive_frame`.
    func receive(into frame: Frame) throws(MediaError) -> Bool {
        let r = avcodec_receive_frame(pointer, frame.pointer)
        if r == FFmpeg.eof || r == FFmpeg.again { return false }
        try FFmpeg.check(r, library: "libavcodec", while: "decoding a frame", path: path)
        return true
    }
}

extension Packet {
    /// A new packet sharing this one's data (reference-counted).
    /// The corresponding C function is `av_packet_ref`.
    func copy(path: String) throws(MediaError) -> Packet {
        let p = Packet()
        try FFmpeg.check(av_packet_ref(p.pointer, pointer), library: "libavcodec", while: "keeping an encoded packet", path: path)
        return p
    }
}

extension Decoder {
    /// A single-threaded H.264 decoder for in-memory packets.
    static func h264(path: String) throws(MediaError) -> Decoder {
        try Decoder(codecID: AV_CODEC_ID_H264, path: path)
    }
}
