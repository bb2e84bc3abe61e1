import Foundation
import ReelflowIO
import Synchronization

/// Fingerprints files a node reads, hashing contents only where that is affordable.
///
/// Files up to `smallFileLimit` bytes are always content-hashed (streamed). Bigger files
/// (checkpoints of tens of GB) get path, size and mtime only in `.standard` mode; in
/// `.fullContent` mode they are hashed too, and the digest is remembered in a memo file under
/// (path, size, mtime, device, inode), so each version of a big file is hashed at most once
/// across processes. The memo is a small JSON file (by default `<cache root>/fingerprints.json`),
/// merged and replaced atomically on each new entry; if two processes add entries at once,
/// the loser's entry is merely recomputed next time.
///
/// The class is `Sendable`: its configuration is immutable and its memo and counters sit
/// behind a `Mutex`.
public final class FileFingerprinter: Sendable {
    /// How big files are treated.
    public enum Mode: String, Sendable, Codable {
        /// Content hash for files up to the limit; path, size and mtime for bigger ones.
        case standard
        /// Content hash for every file; big files' digests are memoised.
        case fullContent
    }

    /// The default small-file limit: 64 MiB.
    public static let defaultSmallFileLimit: Int64 = 64 << 20

    public let mode: Mode
    public let smallFileLimit: Int64
    /// Where big files' digests are remembered; nil keeps them in memory only.
    public let memoFile: URL?
    private let tempDirectory: String?

    private struct MemoKey: Hashable, Codable {
        var path: String
        var size: Int64
        var modifiedNanoseconds: Int64
        var device: UInt64
        var inode: UInt64
    }

    private struct MemoEntry: Codable {
        var key: MemoKey
        var digest: Digest
    }

    private struct State {
        var memo: [MemoKey: Digest]? = nil  // nil until first loaded
        var contentHashes = 0
        var bytesHashed: Int64 = 0
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - mode: whether big files are content-hashed (and memoised).
    ///   - smallFileLimit: files up to this many bytes are always content-hashed.
    ///   - memoFile: the memo's location (its directory must exist); temporary files for its
    ///     atomic replacement go beside it. `CacheStore.fingerprinter(mode:)` gives one whose
    ///     memo lives in the cache root.
    public convenience init(mode: Mode = .standard,
                            smallFileLimit: Int64 = FileFingerprinter.defaultSmallFileLimit,
                            memoFile: URL? = nil) {
        self.init(mode: mode, smallFileLimit: smallFileLimit, memoFile: memoFile,
                  tempDirectory: memoFile.map { FileSystem.parentPath($0.path) })
    }

    init(mode: Mode, smallFileLimit: Int64, memoFile: URL?, tempDirectory: String?) {
        self.mode = mode
        self.smallFileLimit = smallFileLimit
        self.memoFile = memoFile
        self.tempDirectory = tempDirectory
    }

    /// How many times file contents were hashed by this instance (memo hits excluded).
    public var contentHashCount: Int { state.withLock { $0.contentHashes } }
    /// How many bytes this instance hashed.
    public var bytesHashed: Int64 { state.withLock { $0.bytesHashed } }

    /// Fingerprints the file at `url`.
    /// - Throws: `CacheError` naming the file when it is missing, not a regular file, or unreadable.
    public func fingerprint(of url: URL) throws(CacheError) -> FileFingerprint {
        let path = url.standardizedFileURL.path
        guard let status = try FileSystem.status(path) else {
            throw CacheError(.io, path: path, reason: "the file does not exist")
        }
        guard status.isRegularFile else {
            throw CacheError(.invalidRequest, path: path, reason: "not a regular file, cannot fingerprint it")
        }
        var fingerprint = FileFingerprint(path: path, size: status.size,
                                          modifiedNanoseconds: status.modifiedNanoseconds, contentDigest: nil)
        if status.size <= smallFileLimit {
            fingerprint.contentDigest = try hash(path)
        } else if mode == .fullContent {
            let key = MemoKey(path: path, size: status.size, modifiedNanoseconds: status.modifiedNanoseconds,
                              device: status.device, inode: status.inode)
            if let known = memoLookup(key) {
                fingerprint.contentDigest = known
            } else {
                let digest = try hash(path)
                // Only remember it if the file did not change while being hashed.
                if try FileSystem.status(path) == status { try memoStore(key, digest) }
                fingerprint.contentDigest = digest
            }
        }
        return fingerprint
    }

    private func hash(_ path: String) throws(CacheError) -> Digest {
        let (digest, size) = try Digest.ofFile(path: path)
        state.withLock {
            $0.contentHashes += 1
            $0.bytesHashed += size
        }
        return digest
    }

    private func memoLookup(_ key: MemoKey) -> Digest? {
        state.withLock { state in
            if state.memo == nil { state.memo = loadMemo() }
            return state.memo?[key]
        }
    }

    private func memoStore(_ key: MemoKey, _ digest: Digest) throws(CacheError) {
        let merged: [MemoKey: Digest] = state.withLock { state in
            // Merge what other processes wrote since we loaded, then add ours.
            var memo = loadMemo()
            for (k, v) in state.memo ?? [:] where memo[k] == nil { memo[k] = v }
            memo[key] = digest
            state.memo = memo
            return memo
        }
        guard let memoFile, let tempDirectory else { return }
        // Drop entries whose file is gone or changed, so the memo stays small.
        let live = merged.filter { entry in
            guard let status = try? FileSystem.status(entry.key.path) else { return false }
            return status.size == entry.key.size && status.modifiedNanoseconds == entry.key.modifiedNanoseconds
                && status.inode == entry.key.inode
        }
        let entries = live.map { MemoEntry(key: $0.key, digest: $0.value) }
            .sorted { $0.key.path < $1.key.path }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do { data = try encoder.encode(entries) } catch {
            throw CacheError(.io, path: memoFile.path, reason: "cannot encode the fingerprint memo: \(error)")
        }
        try FileSystem.writeAtomically(Array(data), to: memoFile.path, tempDirectory: tempDirectory, durable: false)
    }

    private func loadMemo() -> [MemoKey: Digest] {
        guard let memoFile, let bytes = try? FileSystem.readFile(memoFile.path),
              let entries = try? JSONDecoder().decode([MemoEntry].self, from: Data(bytes))
        else { return [:] }  // a missing or damaged memo only costs rehashing
        return Dictionary(entries.map { ($0.key, $0.digest) }, uniquingKeysWith: { a, _ in a })
    }
}
