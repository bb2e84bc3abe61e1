import Dispatch
import Synchronization
import Tensors

extension MediaWriter {
    /// The encode behind `saveVideo` (libx264) and the tests' other codecs, writing to `tmp`.
    ///
    /// Two threads: a producer packs frame N+1 to 8 bits (`EightBit`) and converts it to the
    /// encoder's pixel format (libswscale) while the calling thread hands frame N to the
    /// encoder and muxes its packets. Two frame buffers alternate between them; the values
    /// are the same as a one-thread loop gives, only the timing differs.
    static func encode(
        _ pixels: Tensor, frames: Int, width: Int, height: Int, to tmp: String, reportedPath: String,
        spec: EncoderSpec, fps: Double, threads: Int, rounding: EightBitRounding = .bfloat16
    ) throws(MediaError) {
        let out = try OutputFile(path: tmp, reportedPath: reportedPath, format: spec.container)
        let encoder = try Encoder(
            codecName: spec.codecName, width: width, height: height, pixelFormat: spec.pixelFormat, fps: fps,
            options: spec.options, globalHeader: out.wantsGlobalHeader, threads: threads, path: reportedPath)
        let stream = try out.addStream(for: encoder)
        try out.writeHeader()
        let scaler = try Scaler(width: width, height: height, from: FFmpeg.rgb24, to: spec.pixelFormat, path: reportedPath)
        let slots = [Frame(), Frame()]
        for frame in slots {
            try frame.allocate(width: width, height: height, format: spec.pixelFormat, path: reportedPath)
        }
        let packet = Packet()
        func drain() throws(MediaError) {
            while try encoder.receive(into: packet) {
                defer { packet.unref() }
                try out.write(packet, stream: stream, timeBase: encoder.timeBase)
            }
        }
        let producer = FrameProducer(
            pixels: pixels, rounding: rounding, frames: frames, width: width, height: height, scaler: scaler, slots: slots,
            path: reportedPath)
        // However the loop ends, the producer is stopped and joined before the tensor, the
        // scaler and the frames can go away.
        defer { producer.finish() }
        for f in 0..<frames {
            if Task.isCancelled { throw MediaError(.cancelled, path: reportedPath, "cancelled after encoding \(f) frames") }
            let frame = try producer.next(f)
            try encoder.send(frame, pts: Int64(f))
            producer.release(f)
            try drain()
        }
        try encoder.send(nil)
        try drain()
        try out.writeTrailer()
    }
}

/// The producer side of `MediaWriter.encode`: fills frame slot `f % 2` with frame `f` on a
/// GCD thread, handing slots back and forth with two semaphores.
///
/// `@unchecked Sendable` invariant: a slot (`Frame`) and the packing buffer are touched by one
/// thread at a time. The producer writes slot `f % 2` only after `free` says the consumer has
/// released frame `f - 2`; the consumer reads it only after `filled` says frame `f` is ready.
/// The tensor is only read. `scaler` is used by the producer alone. `finish()` joins the
/// producer before the caller's buffers can be freed.
private final class FrameProducer: @unchecked Sendable {
    private let slots: [Frame]
    private let scaler: Scaler
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore
    private let done = DispatchSemaphore(value: 0)
    private let stopFlag = Atomic<Bool>(false)
    private let failure = Mutex<MediaError?>(nil)
    private var finished = false
    /// Waits on `free` by the producer (read only after it is joined) and signals of `free`
    /// by the consumer: a `DispatchSemaphore` must not be freed below its initial value.
    private var taken = 0
    private var given = 0

    init(
        pixels: Tensor, rounding: EightBitRounding, frames: Int, width: Int, height: Int, scaler: Scaler, slots: [Frame], path: String
    ) {
        self.slots = slots
        self.scaler = scaler
        free = DispatchSemaphore(value: slots.count)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            defer { done.signal() }
            let stride = Scaler.packedRowBytes(width: width)
            var rgb = [UInt8](repeating: 0, count: stride * height)
            for f in 0..<frames {
                free.wait()
                taken += 1
                if stopFlag.load(ordering: .relaxed) { return }
                let frame = self.slots[f % self.slots.count]
                do throws(MediaError) {
                    try frame.makeWritable(path: path)
                } catch {
                    failure.withLock { $0 = error }
                    filled.signal()
                    return
                }
                pixels.withHostScalars { src in
                    rgb.withUnsafeMutableBufferPointer { dst in
                        EightBit.packedFrame(src, frames: frames, frame: f, width: width, height: height, rowBytes: stride, rounding: rounding, into: dst.baseAddress!)
                    }
                }
                rgb.withUnsafeBufferPointer { self.scaler.convert(packed: $0.baseAddress!, rowBytes: stride, into: frame) }
                filled.signal()
            }
        }
    }

    /// Waits for frame `f` and returns its slot; the slot stays the caller's until `release(f)`.
    func next(_ f: Int) throws(MediaError) -> Frame {
        filled.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return slots[f % slots.count]
    }

    /// Gives frame `f`'s slot back to the producer.
    func release(_ f: Int) {
        given += 1
        free.signal()
    }

    /// Stops the producer (if still running) and waits for it. Idempotent; consumer thread only.
    func finish() {
        guard !finished else { return }
        finished = true
        stopFlag.store(true, ordering: .relaxed)
        release(-1)  // wakes a producer waiting for a slot; it sees the flag and returns
        done.wait()
        for _ in 0..<max(0, taken - given) { release(-1) }
    }
}
