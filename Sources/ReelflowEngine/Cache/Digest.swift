import Crypto
import Foundation

/// A SHA-256 digest: the name of a blob in the content-addressed store and of a node's key.
///
/// Stored as four big-endian words so hashing and comparing are a few instructions; printed,
/// encoded (JSON) and parsed as 64 lowercase hex digits.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    private let w0, w1, w2, w3: UInt64

    /// Builds a digest from exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, byte) in bytes.enumerated() { words[i / 8] = words[i / 8] << 8 | UInt64(byte) }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = Self.nibble(utf8[2 * i]), let lo = Self.nibble(utf8[2 * i + 1]) else { return nil }
            bytes[i] = hi << 4 | lo
        }
        self.init(bytes: bytes)
    }

    init(_ sha: SHA256.Digest) {
        self.init(bytes: Array(sha))!
    }

    /// The 32 bytes, most significant first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { out in
            var i = 0
            for word in [w0, w1, w2, w3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    let nibble = UInt8(truncatingIfNeeded: word >> UInt64(shift)) & 0xF
                    out[i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                    i += 1
                }
            }
            return 64
        }
    }

    public var description: String { hex }

    /// The first 12 hex digits, for messages and listings.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }

    /// The SHA-256 of `data`.
    public static func of(data: some DataProtocol) -> Digest { Digest(SHA256.hash(data: data)) }

    /// The SHA-256 of a string's UTF-8 bytes.
    public static func of(string: String) -> Digest { of(data: Array(string.utf8)) }

    /// The SHA-256 of a file's contents, streamed in 1 MiB chunks (never loads the file).
    /// - Throws: `CacheError` naming the file when it cannot be opened or read.
    public static func of(fileAt url: URL) throws(CacheError) -> Digest {
        try ofFile(path: url.path).digest
    }

    /// Streams a file through SHA-256; also returns how many bytes it read.
    static func ofFile(path: String) throws(CacheError) -> (digest: Digest, size: Int64) {
        guard let fd = try FileSystem.open(path, FileSystem.readOnly) else {
            throw CacheError(.io, path: path, reason: "open failed")
        }
        defer { FileSystem.close(fd) }
        return try ofOpenFile(fd, path: path)
    }

    /// Streams an open descriptor (from its current offset) through SHA-256.
    static func ofOpenFile(_ fd: Int32, path: String) throws(CacheError) -> (digest: Digest, size: Int64) {
        var hasher = SHA256()
        var total: Int64 = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { chunk.deallocate() }
        while true {
            let n = try FileSystem.read(fd, into: chunk, path: path)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            total += Int64(n)
        }
        return (Digest(hasher.finalize()), total)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let digest = Digest(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected 64 hex digits of a SHA-256, got \"\(text.prefix(80))\"")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
