/// An error from the on-disk cache: what was being done, on which path, and why.
///
/// Damage found while reading is not an error of this type: `CacheStore.lookup(_:)` reports
/// it as `LookupResult.damaged(reason:)` so the caller recomputes. Reading a blob whose bytes
/// no longer match their digest throws `CacheError` with `kind == .damaged`.
public struct CacheError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A broad class, for callers that branch (e.g. `busy` maps to "try again later").
    public enum Kind: String, Sendable, Equatable {
        /// A file system call failed (permissions, disk full, missing directory...).
        case io
        /// Stored bytes do not match what their name or manifest promises.
        case damaged
        /// Another process holds the cache lock in a conflicting mode.
        case busy
        /// The cache directory was written by an incompatible format version.
        case incompatibleFormat
        /// The caller asked for something the store cannot do (e.g. commit before blobs exist).
        case invalidRequest
    }

    public let kind: Kind
    /// The file or directory concerned.
    public let path: String
    /// What went wrong, as a sentence fragment ("rename failed: No space left on device").
    public let reason: String

    public init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { "cache: \(path): \(reason)" }
}
