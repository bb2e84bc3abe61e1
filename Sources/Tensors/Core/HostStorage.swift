/// Host memory of a CPU tensor, in the layout of its dtype: a Swift array of float32 words,
/// of 16-bit words (bf16, f16) or of bytes (fp8), or a read-only window of a memory-mapped
/// safetensors file (a zero-copy view of a stored tensor whose dtype is the one asked for).
///
/// `@unchecked Sendable`: a `HostStorage` is written only through `Tensor`'s mutating members,
/// which first make sure the tensor holds the only reference (copying otherwise), and by the
/// op that creates it before the tensor is returned. Everything else only reads it, so
/// concurrent readers never race a writer. Mapped storage is never written (mutation copies
/// it into an array first).
package final class HostStorage: TensorStorage, @unchecked Sendable {
    package enum Contents {
        case floats
        case words
        case bytes
        case mapped
    }

    package let contents: Contents
    /// float32 elements (`contents == .floats`).
    package var floats: [Float]
    /// bf16 or f16 bit patterns (`contents == .words`).
    package var words: [UInt16]
    /// fp8 bit patterns (`contents == .bytes`).
    package var bytes: [UInt8]
    /// A window of a mapping kept alive by `owner` (`contents == .mapped`).
    private let mapped: UnsafeRawBufferPointer
    private let owner: AnyObject?

    package var device: Device { .cpu }

    deinit {
        if contents == .floats { HostBufferPool.shared.release(floats) }
    }

    /// An empty storage that stands in for a moment while `Tensor` checks uniqueness.
    package static let placeholder = HostStorage(floats: [])

    package var byteCount: Int {
        switch contents {
        case .floats: floats.count * 4
        case .words: words.count * 2
        case .bytes: bytes.count
        case .mapped: mapped.count
        }
    }

    package init(floats: [Float]) {
        contents = .floats
        self.floats = floats
        words = []
        bytes = []
        mapped = UnsafeRawBufferPointer(start: nil, count: 0)
        owner = nil
    }

    package init(words: [UInt16]) {
        contents = .words
        self.words = words
        floats = []
        bytes = []
        mapped = UnsafeRawBufferPointer(start: nil, count: 0)
        owner = nil
    }

    package init(bytes: [UInt8]) {
        contents = .bytes
        self.bytes = bytes
        floats = []
        words = []
        mapped = UnsafeRawBufferPointer(start: nil, count: 0)
        owner = nil
    }

    /// A view of `window`, which stays valid while `owner` lives.
    package init(mapped window: UnsafeRawBufferPointer, owner: AnyObject) {
        contents = .mapped
        mapped = window
        self.owner = owner
        floats = []
        words = []
        bytes = []
    }

    /// The raw little-endian bytes, whatever the contents.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch contents {
        case .floats: try floats.withUnsafeBytes(body)
        case .words: try words.withUnsafeBytes(body)
        case .bytes: try bytes.withUnsafeBytes(body)
        case .mapped: try withExtendedLifetime(owner) { try body(mapped) }
        }
    }

    /// A copy in owned (writable) memory: the same bytes in an array of the dtype's word size.
    package func ownedCopy(dtype: DType) -> HostStorage {
        switch contents {
        case .floats: return HostStorage(floats: floats)
        case .words: return HostStorage(words: words)
        case .bytes: return HostStorage(bytes: bytes)
        case .mapped:
            return withUnsafeBytes { raw in
                switch dtype.byteSize {
                case 4:
                    return HostStorage(floats: [Float](unsafeUninitializedCapacity: raw.count / 4) { b, n in
                        UnsafeMutableRawBufferPointer(b).copyMemory(from: raw)
                        n = raw.count / 4
                    })
                case 2:
                    return HostStorage(words: [UInt16](unsafeUninitializedCapacity: raw.count / 2) { b, n in
                        UnsafeMutableRawBufferPointer(b).copyMemory(from: raw)
                        n = raw.count / 2
                    })
                default:
                    return HostStorage(bytes: [UInt8](raw))
                }
            }
        }
    }
}
