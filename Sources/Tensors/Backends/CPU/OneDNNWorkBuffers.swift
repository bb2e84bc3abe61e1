import Foundation
import Synchronization

/// The work buffers of oneDNN convolutions (band buffers, packed weights), kept between calls
/// and mapped from the system directly.
///
/// Why not `malloc` per call: glibc raises its mmap threshold to the size of the largest
/// mapping it has freed (up to 32 MiB), after which buffers up to that size, tensors
/// included, come from its heap, whose freed pages mostly stay resident. Measured on the
/// tiled decode of `ltx-vae-bench decode_33x384_tiled`: 303 MiB peak growth with buffers
/// allocated and freed per call, 98 MiB with glibc's threshold pinned (and 1.3x the time,
/// every buffer's pages faulted in again), 82 MiB on the im2col path. Mapped here and reused,
/// the buffers never move that threshold and fault their pages in once.
///
/// At most `keptCount` buffers are kept (a convolution takes two at a time: its workspace and
/// its packed weights); a request takes the smallest kept buffer that is large enough.
final class OneDNNWorkBuffers: Sendable {
    static let shared = OneDNNWorkBuffers()
    static let keptCount = 2

    struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let bytes: Int
    }

    private let kept = Mutex<[Buffer]>([])

    /// Bytes held now (tests).
    var heldBytes: Int { kept.withLock { $0.reduce(0) { $0 + $1.bytes } } }

    /// A buffer of at least `bytes` (page-aligned, so 64-byte aligned), from the kept ones or
    /// newly mapped. Give it back with `give`.
    func take(_ bytes: Int) -> Buffer {
        let found = kept.withLock { kept -> Buffer? in
            guard let i = kept.indices.filter({ kept[$0].bytes >= bytes }).min(by: { kept[$0].bytes < kept[$1].bytes })
            else { return nil }
            return kept.remove(at: i)
        }
        if let found { return found }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = max(page, (bytes + page - 1) / page * page)
        let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        require(pointer != MAP_FAILED && pointer != nil, "could not map \(size) bytes for a convolution's work buffers")
        return Buffer(pointer: pointer!, bytes: size)
    }

    /// Keeps `buffer` for the next request; beyond `keptCount` the smallest is unmapped.
    func give(_ buffer: Buffer) {
        let dropped = kept.withLock { kept -> Buffer? in
            kept.append(buffer)
            guard kept.count > Self.keptCount else { return nil }
            let i = kept.indices.min(by: { kept[$0].bytes < kept[$1].bytes })!
            return kept.remove(at: i)
        }
        if let dropped { munmap(dropped.pointer, dropped.bytes) }
    }
}
