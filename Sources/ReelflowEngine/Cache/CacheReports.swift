import Foundation

/// What `CacheStore.stats()` reports. Cheap: it stats files and parses no manifest.
public struct CacheStats: Sendable, Equatable, Codable {
    /// Manifests in `ac/`.
    public var entries: Int
    /// Blobs in `cas/`.
    public var blobs: Int
    public var blobBytes: Int64
    public var manifestBytes: Int64
    /// Files in `tmp/` (in-flight or left by a crashed writer) and their bytes.
    public var temporaryFiles: Int
    public var temporaryBytes: Int64
    /// The configured limit, if any.
    public var limitBytes: Int64?
    /// Last use of the least and most recently used entries.
    public var oldestUse: Date?
    public var newestUse: Date?

    /// What counts against the limit: blobs plus manifests.
    public var totalBytes: Int64 { blobBytes + manifestBytes }
}

/// One entry as `CacheStore.list()` shows it.
public struct CacheEntrySummary: Sendable, Equatable, Codable {
    public var key: Digest
    /// Empty when the manifest cannot be read (see `damage`).
    public var nodeID: String
    public var nodeType: String
    /// Bytes of the entry's outputs.
    public var size: Int64
    public var created: Date?
    /// The manifest's mtime, set by `touch`.
    public var lastUsed: Date
    public var durationSeconds: Double
    public var graphFile: String?
    /// Why the manifest is unusable, when it is (unparseable, or a blob missing or truncated).
    public var damage: String?
}

/// What `gc` or `clear` removed.
public struct GCReport: Sendable, Equatable, Codable {
    /// Entries evicted to get under the limit, least valuable first.
    public var evicted: [CacheEntrySummary] = []
    /// Manifests removed because they were unreadable or pointed at missing blobs.
    public var damagedEntriesRemoved = 0
    /// Blobs removed because no manifest referenced them any more.
    public var blobsRemoved = 0
    /// Temporary files older than the grace period, left by crashed writers.
    public var temporaryFilesRemoved = 0
    /// Run histories (`runs/`) of graph files that no longer exist, or that cannot be read.
    public var runHistoriesRemoved = 0
    /// Bytes freed in total (blobs, manifests, temporary files, run histories).
    public var bytesFreed: Int64 = 0
    /// Blob and manifest bytes before and after.
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// The limit that was applied, if any.
    public var limitBytes: Int64?
}

/// What `CacheStore.verify()` checked and found.
public struct VerifyReport: Sendable, Equatable, Codable {
    /// Blobs re-hashed, and their bytes.
    public var blobsChecked = 0
    public var bytesChecked: Int64 = 0
    /// Manifests checked.
    public var entriesChecked = 0
    /// One line per problem found, naming the file (and the node, for an entry).
    public var problems: [String] = []
    /// What was removed because of them.
    public var damagedBlobsRemoved = 0
    public var damagedEntriesRemoved = 0
    public var straysRemoved = 0

    /// Whether anything damaged was found.
    public var foundDamage: Bool { !problems.isEmpty }
}
