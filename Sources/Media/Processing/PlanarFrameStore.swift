import Tensors

/// Output buffer of a video decode in `[1, 3, F, H, W]` order, written one frame at a time
/// while the frame count is not known yet.
///
/// Storage is laid out for `capacity` frames (three planes of `capacity * H * W` floats) and
/// left uninitialised until written, so untouched pages never become resident. When decoding
/// ends, the planes are slid together for the final count and the tail is dropped without
/// reallocating: peak memory is the output tensor plus the unused part of the estimate.
/// A `PageWarmer` faults the planes in on another thread ahead of the writer; call
/// `stopWarming()` before the store goes away (loading does so in a `defer`).
struct PlanarFrameStore {
    let width: Int
    let height: Int
    private(set) var capacity: Int
    private(set) var count = 0
    private var storage: [Float]
    private var warmer: PageWarmer?

    var planeSize: Int { width * height }

    init(width: Int, height: Int, estimatedFrames: Int) {
        self.width = width
        self.height = height
        capacity = max(1, estimatedFrames)
        storage = Self.uninitialised(3 * capacity * width * height)
        warmer = startWarming(from: 0)
    }

    /// Below this many bytes of output the kernel's page faults are too few to matter.
    private static let warmingThreshold = 16 << 20

    /// Warms the part of each plane from frame `first` on.
    private mutating func startWarming(from first: Int) -> PageWarmer? {
        let bytes = 3 * capacity * planeSize * MemoryLayout<Float>.stride
        guard bytes >= Self.warmingThreshold, first < capacity else { return nil }
        let (cap, plane) = (capacity, planeSize)
        return storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            return PageWarmer(regions: (0..<3).map { c in
                (UnsafeMutableRawPointer(base + (c * cap + first) * plane), (cap - first) * plane * MemoryLayout<Float>.stride)
            })
        }
    }

    /// Stops the page warmer (if running) and waits for it. Idempotent.
    mutating func stopWarming() {
        warmer?.stop()
        warmer = nil
    }

    private static func uninitialised(_ n: Int) -> [Float] {
        // Float is trivial: every element is written before it is read (see `finish`).
        [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let base = buffer.baseAddress { adviseHugePages(UnsafeMutableRawPointer(base), bytes: n * 4) }
            initialized = n
        }
    }

    /// Appends one frame: `body` receives the red, green and blue planes (`width * height`
    /// floats each) to fill.
    mutating func appendFrame(
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        if count == capacity { grow(to: capacity + max(8, capacity / 2)) }
        let f = count
        let cap = capacity
        let plane = planeSize
        storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            body(base + (0 * cap + f) * plane, base + (1 * cap + f) * plane, base + (2 * cap + f) * plane)
        }
        count += 1
    }

    private mutating func grow(to newCapacity: Int) {
        stopWarming()
        var bigger = Self.uninitialised(3 * newCapacity * planeSize)
        let used = count * planeSize
        let (oldCap, plane) = (capacity, planeSize)
        storage.withUnsafeBufferPointer { old in
            bigger.withUnsafeMutableBufferPointer { new in
                for c in 0..<3 {
                    (new.baseAddress! + c * newCapacity * plane)
                        .update(from: old.baseAddress! + c * oldCap * plane, count: used)
                }
            }
        }
        storage = bigger
        capacity = newCapacity
        warmer = startWarming(from: count)
    }

    /// The tensor holding the first `frames` frames; when `frames` exceeds the frames
    /// written, the last written frame is repeated. `[1, 3, frames, H, W]`.
    /// - Precondition: at least one frame was written.
    mutating func finish(frames: Int) -> Tensor {
        require(count > 0 && frames > 0, "frame store: finish with \(count) frames written, \(frames) expected")
        stopWarming()
        if frames > capacity { grow(to: frames) }
        let (cap, plane, written) = (capacity, planeSize, count)
        storage.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            for c in 0..<3 {
                let planeBase = base + c * cap * plane
                for f in written..<max(written, frames) {
                    (planeBase + f * plane).update(from: planeBase + (written - 1) * plane, count: plane)
                }
                // Slide channel c's frames down to their final place (c * frames * plane);
                // the destination never overtakes the source, so an overlapping move is safe.
                if c > 0 { (base + c * frames * plane).update(from: planeBase, count: frames * plane) }
            }
        }
        storage.removeLast(storage.count - 3 * frames * plane)
        let result = Tensor(shape: [1, 3, frames, height, width], scalars: storage)
        storage = []
        return result
    }
}
