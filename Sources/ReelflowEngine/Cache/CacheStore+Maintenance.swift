import Foundation
import ReelflowIO

/// The order in which `gc` evicts entries when the cache is over its limit.
public enum EvictionPolicy: String, Sendable, Codable {
    /// Least recently used first.
    case leastRecentlyUsed
    /// Highest `idle seconds × bytes ÷ compute seconds` first: big, cheap, long-unused
    /// entries go before small ones that took long to compute.
    case costAware
}

extension CacheStore {
    /// How long a temporary file or an unreferenced blob must be untouched before `gc`
    /// removes it, so a live writer's files are never taken: one hour.
    public static let defaultGracePeriod: TimeInterval = 3600

    /// Counts entries, blobs and bytes. Reads directories and `stat`s files only.
    public func stats() throws(CacheError) -> CacheStats {
        let manifests = try scan(acPath, suffix: ".json")
        let blobs = try scan(casPath, suffix: nil)
        let temps = try scanFlat(tmpPath)
        let uses = manifests.map(\.modified)
        return CacheStats(
            entries: manifests.count, blobs: blobs.count,
            blobBytes: blobs.reduce(0) { $0 + $1.size }, manifestBytes: manifests.reduce(0) { $0 + $1.size },
            temporaryFiles: temps.count, temporaryBytes: temps.reduce(0) { $0 + $1.size },
            limitBytes: maxBytes, oldestUse: uses.min(), newestUse: uses.max())
    }

    /// Every entry with its provenance summary, most recently used first. Damaged entries
    /// are listed with `damage` set.
    public func list() throws(CacheError) -> [CacheEntrySummary] {
        try scan(acPath, suffix: ".json").map(summarize).sorted { $0.lastUsed > $1.lastUsed }
    }

    /// Cleans the cache under an exclusive lock: removes damaged entries, unreferenced blobs
    /// and temporary files older than `gracePeriod`, and run histories whose graph file is
    /// gone or which cannot be read, then evicts entries in `policy` order
    /// until blobs plus manifests fit in `maxBytes` (or the store's limit). A blob that only
    /// evicted entries referenced is removed at once.
    /// - Throws: `.busy` if a run holds the cache (nothing is removed), `.io` on failures.
    public func gc(maxBytes limit: Int64? = nil, policy: EvictionPolicy = .leastRecentlyUsed,
                   gracePeriod: TimeInterval = CacheStore.defaultGracePeriod) throws(CacheError) -> GCReport {
        let lock = try acquireLock(.exclusive, wait: false)
        defer { lock.release() }
        let now = Date()
        var report = GCReport(limitBytes: limit ?? maxBytes)
        report.damagedEntriesRemoved += try removeStrays().removed

        var blobs: [Digest: ScannedFile] = [:]
        for file in try scan(casPath, suffix: nil) {
            if let digest = Digest(hex: file.name) { blobs[digest] = file }
        }
        var kept: [(file: ScannedFile, summary: CacheEntrySummary, outputs: Set<Digest>)] = []
        var references: [Digest: Int] = [:]
        let manifests = try scan(acPath, suffix: ".json")
        report.bytesBefore = manifests.reduce(0) { $0 + $1.size } + blobs.values.reduce(0) { $0 + $1.size }
        for file in manifests {
            let (summary, outputs) = inspect(file)
            guard let outputs else {
                if try FileSystem.remove(file.path) {
                    report.damagedEntriesRemoved += 1
                    report.bytesFreed += file.size
                }
                continue
            }
            kept.append((file, summary, outputs))
            for digest in outputs { references[digest, default: 0] += 1 }
        }

        var total = kept.reduce(0) { $0 + $1.file.size }
        for (digest, file) in blobs {
            if references[digest] == nil && now.timeIntervalSince(file.modified) > gracePeriod {
                if try FileSystem.remove(file.path) {
                    report.blobsRemoved += 1
                    report.bytesFreed += file.size
                }
            } else {
                total += file.size
            }
        }
        for file in try scanFlat(tmpPath) where now.timeIntervalSince(file.modified) > gracePeriod {
            if try FileSystem.remove(file.path) {
                report.temporaryFilesRemoved += 1
                report.bytesFreed += file.size
            }
        }
        // A history is only worth keeping while its graph file exists (`explain` and early
        // cutoff look it up by the graph's absolute path). Runs hold the lock shared, so
        // none is writing one now.
        for file in try scanFlat(runsPath) {
            if let graph = readRunHistory(at: file.path)?.graph, try FileSystem.status(graph) != nil { continue }
            if try FileSystem.remove(file.path) {
                report.runHistoriesRemoved += 1
                report.bytesFreed += file.size
            }
        }

        if let cap = report.limitBytes, total > cap {
            for victim in evictionOrder(kept, policy: policy, now: now) {
                if total <= cap { break }
                guard try FileSystem.remove(victim.file.path) else { continue }
                report.evicted.append(victim.summary)
                total -= victim.file.size
                report.bytesFreed += victim.file.size
                for digest in victim.outputs {
                    references[digest, default: 1] -= 1
                    guard references[digest] == 0, let blob = blobs[digest] else { continue }
                    if try FileSystem.remove(blob.path) {
                        report.blobsRemoved += 1
                        report.bytesFreed += blob.size
                        total -= blob.size
                    }
                }
            }
        }
        report.bytesAfter = total
        return report
    }

    /// Applies the store's size limit after a run, if there is one and the cache is over it.
    /// Call it after releasing the run's shared lock.
    /// - Returns: the gc report, or nil when there is no limit, the cache is under it, or
    ///   another run holds the cache (that run will enforce the limit when it ends).
    @discardableResult
    public func enforceLimit() throws(CacheError) -> GCReport? {
        guard let maxBytes else { return nil }
        let current = try stats()
        guard current.totalBytes > maxBytes else { return nil }
        do {
            return try gc()
        } catch where error.kind == .busy {
            return nil
        }
    }

    /// Removes every entry, blob, temporary file, last-run record and the fingerprint memo,
    /// under an exclusive lock. The cache stays usable (empty) afterwards.
    /// - Throws: `.busy` if a run holds the cache (nothing is removed).
    @discardableResult
    public func clear() throws(CacheError) -> GCReport {
        let lock = try acquireLock(.exclusive, wait: false)
        defer { lock.release() }
        var report = GCReport(limitBytes: maxBytes)
        let manifests = try scan(acPath, suffix: ".json")
        let blobs = try scan(casPath, suffix: nil)
        report.bytesBefore = manifests.reduce(0) { $0 + $1.size } + blobs.reduce(0) { $0 + $1.size }
        for file in manifests {
            let summary = summarize(file)
            if try FileSystem.remove(file.path) {
                report.evicted.append(summary)
                report.bytesFreed += file.size
            }
        }
        for file in blobs where try FileSystem.remove(file.path) {
            report.blobsRemoved += 1
            report.bytesFreed += file.size
        }
        for file in try scanFlat(tmpPath) where try FileSystem.remove(file.path) {
            report.temporaryFilesRemoved += 1
            report.bytesFreed += file.size
        }
        // Whatever is left is not a regular file (a directory where a blob or manifest should
        // be, a link): the store never made it, so it goes too.
        for dir in [acPath, casPath] {
            for shard in try FileSystem.list(dir) {
                let shardPath = dir + "/" + shard
                guard try FileSystem.linkStatus(shardPath)?.isDirectory == true else {
                    try FileSystem.removeTree(shardPath)
                    continue
                }
                for name in try FileSystem.list(shardPath) { try FileSystem.removeTree(shardPath + "/" + name) }
                FileSystem.removeEmptyDirectory(shardPath)
            }
        }
        for dir in [tmpPath, runsPath] {
            for name in try FileSystem.list(dir) { try FileSystem.removeTree(dir + "/" + name) }
        }
        try FileSystem.removeTree(rootPath + "/fingerprints.json")
        return report
    }

    /// Removes what stands where a blob or manifest goes but is not a regular file (a
    /// directory, a link): damage the store never writes. Returns the paths found and how
    /// many of them were removed.
    func removeStrays() throws(CacheError) -> (found: [String], removed: Int) {
        var found: [String] = [], removed = 0
        for dir in [acPath, casPath] {
            for shard in try FileSystem.list(dir) {
                let shardPath = dir + "/" + shard
                guard try FileSystem.linkStatus(shardPath)?.isDirectory == true else { continue }
                for name in try FileSystem.list(shardPath) {
                    let path = shardPath + "/" + name
                    guard let status = try FileSystem.linkStatus(path), !status.isRegularFile else { continue }
                    found.append(path)
                    if try FileSystem.removeTree(path) { removed += 1 }
                }
            }
        }
        return (found, removed)
    }

    // MARK: Scanning

    struct ScannedFile {
        var name: String
        var path: String
        var size: Int64
        var modified: Date
    }

    /// Files in the two-level sharded directory `dir` (`dir/<2 hex>/<name><suffix>`); `name`
    /// is without the suffix. Files that vanish while scanning are skipped.
    func scan(_ dir: String, suffix: String?) throws(CacheError) -> [ScannedFile] {
        var files: [ScannedFile] = []
        for shard in try FileSystem.list(dir) where shard.utf8.count == 2 {
            for file in try scanFlat(dir + "/" + shard) {
                guard let suffix else { files.append(file); continue }
                guard file.name.hasSuffix(suffix) else { continue }
                var named = file
                named.name = String(file.name.dropLast(suffix.count))
                files.append(named)
            }
        }
        return files
    }

    /// Regular files directly in `dir`.
    func scanFlat(_ dir: String) throws(CacheError) -> [ScannedFile] {
        var files: [ScannedFile] = []
        for name in try FileSystem.list(dir) {
            let path = dir + "/" + name
            guard let status = try FileSystem.status(path), status.isRegularFile else { continue }
            files.append(ScannedFile(name: name, path: path, size: status.size,
                                     modified: Date(timeIntervalSince1970: Double(status.modifiedNanoseconds) / 1e9)))
        }
        return files
    }

    private func summarize(_ file: ScannedFile) -> CacheEntrySummary { inspect(file).summary }

    /// The entry's summary, and its output digests when it is usable.
    private func inspect(_ file: ScannedFile) -> (summary: CacheEntrySummary, outputs: Set<Digest>?) {
        let key = Digest(hex: file.name)
        var summary = CacheEntrySummary(
            key: key ?? Digest.of(string: file.name), nodeID: "", nodeType: "", size: 0, created: nil,
            lastUsed: file.modified, durationSeconds: 0, graphFile: nil, damage: nil)
        guard let key else {
            summary.damage = "\(file.path): the file name is not a key"
            return (summary, nil)
        }
        switch lookup(key) {
        case .hit(let manifest):
            summary.nodeID = manifest.nodeID
            summary.nodeType = manifest.nodeType
            summary.size = manifest.outputBytes
            summary.created = manifest.created
            summary.durationSeconds = manifest.durationSeconds
            summary.graphFile = manifest.graphFile
            return (summary, Set(manifest.outputs.values.map(\.digest)))
        case .damaged(let reason):
            summary.damage = reason
        case .miss:
            summary.damage = "\(file.path): removed while listing"
        }
        return (summary, nil)
    }

    private func evictionOrder(
        _ entries: [(file: ScannedFile, summary: CacheEntrySummary, outputs: Set<Digest>)],
        policy: EvictionPolicy, now: Date
    ) -> [(file: ScannedFile, summary: CacheEntrySummary, outputs: Set<Digest>)] {
        switch policy {
        case .leastRecentlyUsed:
            return entries.sorted { ($0.file.modified, $0.file.name) < ($1.file.modified, $1.file.name) }
        case .costAware:
            func score(_ e: (file: ScannedFile, summary: CacheEntrySummary, outputs: Set<Digest>)) -> Double {
                let idle = max(now.timeIntervalSince(e.file.modified), 0)
                return idle * Double(e.summary.size + e.file.size) / max(e.summary.durationSeconds, 0.1)
            }
            return entries.map { (entry: $0, score: score($0)) }
                .sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry.file.name < $1.entry.file.name }
                .map(\.entry)
        }
    }
}
