import Dispatch
import Synchronization

/// Faults in the pages of a large output buffer on another thread, ahead of the thread that
/// fills it.
///
/// A decoded 81-frame 512x512 clip is 243 MiB of floats, written once into fresh memory. The
/// kernel zero-fills every page on its first touch, and that costs more than the whole
/// H.264 decode (about 60 ms of kernel time with huge pages, 200 ms and more with 4 KiB
/// pages). Done by the decoding thread, it stalls the decode; done here, it runs beside it.
///
/// The warmer only asks the kernel to populate pages (`madvise(MADV_POPULATE_WRITE)`); it
/// never reads or writes the buffer, so racing the writer cannot change any value: a page
/// the writer reached first is already present and is left alone. Where the kernel lacks
/// the call (before Linux 5.14), it stops and the writer faults pages in as before.
final class PageWarmer: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// Starts warming `regions` (start address, bytes) round robin, `chunk` bytes of each in
    /// turn, in the order a writer appending frames to each region reaches them.
    /// - Precondition: the memory stays mapped until `stop()` returns.
    init(regions: [(start: UnsafeMutableRawPointer, bytes: Int)], chunk: Int = 2 << 20) {
        // Addresses travel as integers: the warmer never dereferences them.
        let spans = regions.map { (Int(bitPattern: $0.start), $0.bytes) }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            defer { done.signal() }
            var offset = 0
            while spans.contains(where: { offset < $0.1 }) {
                for (start, bytes) in spans where offset < bytes {
                    if stopFlag.load(ordering: .relaxed) { return }
                    guard let p = UnsafeMutableRawPointer(bitPattern: start + offset),
                        populateForWrite(p, bytes: min(chunk, bytes - offset))
                    else { return }
                }
                offset += chunk
            }
        }
    }

    /// Stops warming and waits until the warming thread has let go of the buffer.
    /// Call exactly once.
    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }
}
