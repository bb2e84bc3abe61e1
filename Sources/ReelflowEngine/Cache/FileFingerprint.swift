import Foundation

/// What identifies a file a node reads: its path, size and modification time, plus a
/// content digest when one was computed (always for small files, and for big files when the
/// fingerprinter hashes them).
public struct FileFingerprint: Codable, Sendable, Hashable {
    /// Absolute, standardised path.
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var modifiedNanoseconds: Int64
    /// SHA-256 of the contents, when computed.
    public var contentDigest: Digest?

    public init(path: String, size: Int64, modifiedNanoseconds: Int64, contentDigest: Digest?) {
        self.path = path
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.contentDigest = contentDigest
    }

    /// What enters a node key: the content digest alone when known, else path, size and mtime.
    public var keyMaterial: String {
        if let contentDigest { return "sha256:\(contentDigest.hex)" }
        return "path=\(path) size=\(size) mtime=\(modifiedNanoseconds)"
    }
}
