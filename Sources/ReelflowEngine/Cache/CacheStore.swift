import Foundation

/// A stored blob: its content digest and size in bytes.
public struct BlobRef: Codable, Sendable, Hashable {
    public var digest: Digest
    public var size: Int64

    public init(digest: Digest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// What `CacheStore.lookup(_:)` found for a key.
public enum LookupResult: Sendable, Equatable {
    /// A readable manifest whose blobs are all present with the right sizes.
    case hit(CacheManifest)
    /// No manifest for the key.
    case miss
    /// A manifest exists but cannot be trusted; `reason` says why and names the file. Treat
    /// it as a miss and report it; committing the recomputed result replaces the entry.
    case damaged(reason: String)
}

/// A content-addressed cache on disk, Bazel style: two maps under one root.
///
/// ```
/// <root>/FORMAT                    "reelflow-cache 1"
/// <root>/cas/<2 hex>/<sha256>      immutable blobs, named by the SHA-256 of their bytes
/// <root>/ac/<2 hex>/<key>.json     manifests: node key -> output blobs + provenance
/// <root>/runs/<graph>.json         each node's last-run key components, for `reelflow explain`
/// <root>/tmp/                      in-flight writes (same file system, renamed into place)
/// <root>/fingerprints.json         memo of big files' content digests
/// <root>/lock                      flock: runs share it, gc and clear take it exclusively
/// ```
///
/// Every file is written to `tmp/` and renamed into place, so readers see whole files only.
/// The store keeps no state in memory beyond its immutable configuration: any number of
/// instances, threads and processes can use one root at once. Content-addressed names make
/// two writers of the same blob or manifest harmless (both rename identical content); the
/// `lock` file keeps `gc` and `clear` away from running graphs (see `acquireLock`).
///
/// A manifest's modification time is its last use (`touch` sets it); eviction is
/// least-recently-used against `maxBytes`.
public final class CacheStore: Sendable {
    /// The on-disk layout version this engine reads and writes.
    public static let formatVersion = 1

    public let root: URL
    /// The size limit `enforceLimit()` and `gc()` apply; nil means unlimited.
    public let maxBytes: Int64?
    /// `fsync` each blob and manifest before renaming it into place (default), so after a
    /// power loss a renamed file has its data. Directories are not synced: a lost rename
    /// only loses an entry (a miss), and a manifest whose blob rename was lost reads as
    /// damaged. With `false` (tests, benchmarks, throwaway caches) a crash may also leave
    /// empty or zero-filled blobs, which lookups (size) and verified reads (digest) report
    /// as damaged; the store never serves them as valid.
    public let durable: Bool
    /// The output encodings this process can read (`PortCodec.encodingName`s), or nil to
    /// accept any. With a set, an entry with an output in another encoding is damaged: no
    /// reader can use it, so it is recomputed and replaced, and `gc` removes it.
    public let knownEncodings: Set<String>?

    let rootPath: String
    let casPath: String
    let acPath: String
    let tmpPath: String
    let runsPath: String
    let lockPath: String

    /// Opens (creating if needed) the cache at `root`.
    /// - Parameters:
    ///   - maxBytes: the size limit for eviction; nil for none.
    ///   - durable: whether writes are `fsync`ed (see `durable`).
    ///   - knownEncodings: the output encodings readable here (see `knownEncodings`).
    /// - Throws: `CacheError` if the directories cannot be created, or `.incompatibleFormat`
    ///   if `root` holds a cache of another format version.
    public init(root: URL, maxBytes: Int64? = nil, durable: Bool = true,
                knownEncodings: Set<String>? = nil) throws(CacheError) {
        self.root = root.standardizedFileURL
        self.maxBytes = maxBytes
        self.durable = durable
        self.knownEncodings = knownEncodings
        rootPath = self.root.path
        casPath = rootPath + "/cas"
        acPath = rootPath + "/ac"
        tmpPath = rootPath + "/tmp"
        runsPath = rootPath + "/runs"
        lockPath = rootPath + "/lock"
        for dir in [rootPath, casPath, acPath, tmpPath, runsPath] { try FileSystem.makeDirectories(dir) }
        try checkFormat()
    }

    /// The default cache directory: `REELFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/reelflow`,
    /// else `$HOME/.cache/reelflow` (empty variables count as unset).
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        func value(_ name: String) -> String? {
            guard let v = environment[name], !v.isEmpty else { return nil }
            return v
        }
        if let dir = value("REELFLOW_CACHE_DIR") { return URL(fileURLWithPath: dir, isDirectory: true) }
        if let xdg = value("XDG_CACHE_HOME") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("reelflow", isDirectory: true)
        }
        let home = value("HOME") ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".cache/reelflow", isDirectory: true)
    }

    /// A fingerprinter whose big-file memo lives in this cache (`fingerprints.json`).
    public func fingerprinter(mode: FileFingerprinter.Mode = .standard,
                              smallFileLimit: Int64 = FileFingerprinter.defaultSmallFileLimit) -> FileFingerprinter {
        FileFingerprinter(mode: mode, smallFileLimit: smallFileLimit,
                          memoFile: URL(fileURLWithPath: rootPath + "/fingerprints.json"), tempDirectory: tmpPath)
    }

    // MARK: Action cache

    /// Where the manifest for `key` lives (whether or not it exists).
    public func manifestURL(_ key: Digest) -> URL { URL(fileURLWithPath: manifestPath(key)) }

    /// Finds the entry for `key` and checks it: the manifest must parse and name `key`, and
    /// every output blob must exist with its recorded size. With `verifyContents`, every blob
    /// is also re-hashed (and a blob whose bytes do not match its name is deleted).
    /// Does not update the entry's last use: call `touch(_:)` when the hit is used.
    public func lookup(_ key: Digest, verifyContents: Bool = false) -> LookupResult {
        let path = manifestPath(key)
        let bytes: [UInt8]
        do {
            guard let read = try FileSystem.readFile(path) else { return .miss }
            bytes = read
        } catch {
            return .damaged(reason: "\(path): cannot read the manifest: \(error.reason)")
        }
        let manifest: CacheManifest
        switch CacheManifest.decode(bytes) {
        case .success(let m): manifest = m
        case .failure(let failure): return .damaged(reason: "\(path): \(failure.text)")
        }
        guard manifest.key == key else {
            return .damaged(reason: "\(path): the manifest is for key \(manifest.key.hex), not \(key.hex)")
        }
        guard !manifest.outputs.isEmpty else {
            return .damaged(reason: "\(path): the manifest of node \(manifest.nodeID) lists no outputs")
        }
        for (name, output) in manifest.outputs.sorted(by: { $0.key < $1.key }) {
            if let knownEncodings, !knownEncodings.contains(output.encoding) {
                return .damaged(reason: "\(path): output \"\(name)\" of node \(manifest.nodeID) is stored as "
                                + "\"\(output.encoding)\", which this reelflow cannot read")
            }
            if let problem = blobProblem(output.blob, verifyContents: verifyContents) {
                return .damaged(reason: "output \"\(name)\" of node \(manifest.nodeID): \(problem)")
            }
        }
        return .hit(manifest)
    }

    /// Marks the entry for `key` as just used (sets its manifest's mtime to now: one
    /// `utimensat` call). Does nothing if the entry is gone.
    public func touch(_ key: Digest) {
        FileSystem.touch(manifestPath(key))
    }

    /// Records `manifest` as the entry for `manifest.key`, atomically replacing any previous
    /// (e.g. damaged) entry. Its output blobs must already be in the store.
    /// - Throws: `.invalidRequest` naming the output whose blob is missing or of the wrong
    ///   size; `.io` when the manifest cannot be written.
    public func commit(_ manifest: CacheManifest) throws(CacheError) {
        for (name, output) in manifest.outputs {
            if let problem = blobProblem(output.blob, verifyContents: false) {
                throw CacheError(.invalidRequest, path: manifestPath(manifest.key),
                                 reason: "cannot commit node \(manifest.nodeID): output \"\(name)\": \(problem)")
            }
        }
        try FileSystem.writeAtomically(try manifest.encoded(), to: manifestPath(manifest.key), tempDirectory: tmpPath,
                              durable: durable)
    }

    /// Removes the entry for `key` (its blobs stay until `gc` finds them unreferenced).
    /// - Returns: whether there was an entry.
    @discardableResult
    public func removeEntry(_ key: Digest) throws(CacheError) -> Bool {
        try FileSystem.remove(manifestPath(key))
    }

    // MARK: Paths

    func manifestPath(_ key: Digest) -> String { Self.shardedPath(acPath, key, suffix: ".json") }

    func blobPath(_ digest: Digest) -> String { Self.shardedPath(casPath, digest, suffix: "") }

    /// `<base>/<2 hex>/<64 hex><suffix>`, built in one allocation (it is on every lookup).
    private static func shardedPath(_ base: String, _ digest: Digest, suffix: StaticString) -> String {
        let hex = digest.hex
        var base = base
        return base.withUTF8 { baseBytes in
            var hexCopy = hex
            return hexCopy.withUTF8 { hexBytes in
                let count = baseBytes.count + 4 + 64 + suffix.utf8CodeUnitCount
                return String(unsafeUninitializedCapacity: count) { out in
                    var i = 0
                    func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                        for b in bytes { out[i] = b; i += 1 }
                    }
                    put(baseBytes)
                    out[i] = UInt8(ascii: "/"); i += 1
                    put(UnsafeBufferPointer(rebasing: hexBytes[0..<2]))
                    out[i] = UInt8(ascii: "/"); i += 1
                    put(hexBytes)
                    put(UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
                    return i
                }
            }
        }
    }

    private func checkFormat() throws(CacheError) {
        let path = rootPath + "/FORMAT"
        let expected = "reelflow-cache \(Self.formatVersion)\n"
        if let bytes = try FileSystem.readFile(path) {
            let found = String(decoding: bytes, as: UTF8.self)
            guard found == expected else {
                throw CacheError(.incompatibleFormat, path: path, reason:
                    "this cache has format \"\(found.trimmingCharacters(in: .whitespacesAndNewlines))\", "
                    + "this reelflow reads \"reelflow-cache \(Self.formatVersion)\"; "
                    + "delete the directory or choose another with REELFLOW_CACHE_DIR or --cache-dir")
            }
            return
        }
        try FileSystem.writeAtomically(Array(expected.utf8), to: path, tempDirectory: tmpPath, durable: durable)
    }
}
