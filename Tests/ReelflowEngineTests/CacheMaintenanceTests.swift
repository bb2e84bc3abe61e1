import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheMaintenanceTests {
    /// Commits entries a, b, c, d with distinct 1000-byte outputs and last uses 4, 3, 2, 1
    /// hours ago (a oldest).
    private func fourEntries(_ store: CacheStore) throws -> [String: CacheManifest] {
        var manifests: [String: CacheManifest] = [:]
        for (index, node) in ["a", "b", "c", "d"].enumerated() {
            let manifest = try commitEntry(store, node: node, payloads: ["v": Array(repeating: UInt8(index), count: 1000)])
            try setModified(store.manifestURL(manifest.key).path, Date(timeIntervalSinceNow: Double(index - 4) * 3600))
            manifests[node] = manifest
        }
        return manifests
    }

    private func entryBytes(_ store: CacheStore, _ manifest: CacheManifest) throws -> Int64 {
        let size = try FileManager.default.attributesOfItem(atPath: store.manifestURL(manifest.key).path)[.size]
        return Int64(try #require(size as? Int)) + manifest.outputBytes
    }

    @Test func evictionIsLeastRecentlyUsedFirst() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let m = try fourEntries(store)
        store.touch(m["a"]!.key)  // a becomes the most recent: b and c are now the oldest
        let total = try store.stats().totalBytes
        let limit = total - (try entryBytes(store, m["b"]!)) - (try entryBytes(store, m["c"]!))
        let report = try store.gc(maxBytes: limit)
        #expect(report.evicted.map(\.nodeID) == ["b", "c"])
        #expect(report.bytesBefore == total)
        #expect(report.bytesAfter == limit)
        #expect(report.bytesFreed == total - limit)
        #expect(report.blobsRemoved == 2)
        #expect(store.lookup(m["b"]!.key) == .miss && store.lookup(m["c"]!.key) == .miss)
        #expect(store.lookup(m["a"]!.key) == .hit(m["a"]!) && store.lookup(m["d"]!.key) == .hit(m["d"]!))
        #expect(try store.stats().totalBytes == limit)
    }

    @Test func blobSharedWithAKeptEntrySurvivesEviction() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let shared = Array(repeating: UInt8(7), count: 1000)
        let old = try commitEntry(store, node: "old", payloads: ["v": shared])
        try setModified(store.manifestURL(old.key).path, Date(timeIntervalSinceNow: -7200))
        let new = try commitEntry(store, node: "new", payloads: ["v": shared])
        let limit = try store.stats().totalBytes - 1  // forces one eviction
        let report = try store.gc(maxBytes: limit)
        #expect(report.evicted.map(\.nodeID) == ["old"])
        #expect(report.blobsRemoved == 0)
        #expect(store.lookup(new.key) == .hit(new))
    }

    @Test func costAwareEvictsBigCheapBeforeSmallExpensive() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let expensive = try commitEntry(store, node: "expensive", payloads: ["v": Array(repeating: 1, count: 100)],
                                        duration: 600)
        let cheap = try commitEntry(store, node: "cheap", payloads: ["v": Array(repeating: 2, count: 5000)],
                                    duration: 0.5)
        // The expensive entry is the least recently used, yet it is kept.
        try setModified(store.manifestURL(expensive.key).path, Date(timeIntervalSinceNow: -7200))
        try setModified(store.manifestURL(cheap.key).path, Date(timeIntervalSinceNow: -3600))
        let lru = try store.list().map(\.nodeID)
        #expect(lru == ["cheap", "expensive"])
        let report = try store.gc(maxBytes: try store.stats().totalBytes - 1, policy: .costAware)
        #expect(report.evicted.map(\.nodeID) == ["cheap"])
        #expect(store.lookup(expensive.key) == .hit(expensive))
    }

    @Test func gcRemovesOldOrphansAndTempFilesButNotFreshOnes() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let kept = try commitEntry(store, node: "kept", payloads: ["v": [1, 2, 3]])
        try setModified(store.blobURL(kept.outputs["v"]!.digest).path, Date(timeIntervalSinceNow: -86400))
        let oldOrphan = try store.putBlob(data: Array(repeating: 4, count: 300))
        let freshOrphan = try store.putBlob(data: Array(repeating: 5, count: 200))
        try setModified(store.blobURL(oldOrphan.digest).path, Date(timeIntervalSinceNow: -7200))
        let tmp = store.root.path + "/tmp"
        try Data(repeating: 0, count: 50).write(to: URL(fileURLWithPath: tmp + "/1-dead.blob.tmp"))
        try setModified(tmp + "/1-dead.blob.tmp", Date(timeIntervalSinceNow: -7200))
        try Data(repeating: 0, count: 70).write(to: URL(fileURLWithPath: tmp + "/2-live.blob.tmp"))

        let report = try store.gc()
        #expect(report.blobsRemoved == 1)
        #expect(report.temporaryFilesRemoved == 1)
        #expect(report.bytesFreed == 350)
        #expect(report.evicted.isEmpty)
        #expect(!store.containsBlob(oldOrphan.digest))
        #expect(store.containsBlob(freshOrphan.digest))
        #expect(filesIn(tmp) == ["2-live.blob.tmp"])
        #expect(store.lookup(kept.key) == .hit(kept))
    }

    @Test func gcRemovesRunHistoriesOfDeletedGraphsOnly() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let live = store.root.path + "/../live-graph.yaml"
        try Data("nodes: {}\n".utf8).write(to: URL(fileURLWithPath: live))
        defer { try? FileManager.default.removeItem(atPath: live) }
        let gone = store.root.path + "/../deleted-graph.yaml"
        let record = RunHistory.NodeRecord(components: ["type": "Text"], key: nil)
        try store.saveRunHistory(RunHistory(graph: live, nodes: ["a": record]))
        try store.saveRunHistory(RunHistory(graph: gone, nodes: ["a": record]))
        let runs = store.root.path + "/runs"
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: runs + "/garbage.json"))
        #expect(filesIn(runs).count == 3)

        let report = try store.gc()
        #expect(report.runHistoriesRemoved == 2, "the deleted graph's history and the unreadable file")
        #expect(filesIn(runs) == [store.runHistoryPath(graph: live).split(separator: "/").last.map(String.init)!])
        #expect(store.runHistory(graph: live).nodes["a"] == record)
        #expect(store.runHistory(graph: gone).nodes.isEmpty)
    }

    @Test func gcRemovesDamagedEntries() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let unreadable = try commitEntry(store, node: "unreadable", payloads: ["v": [1]])
        let blobless = try commitEntry(store, node: "blobless", payloads: ["v": [2]])
        let good = try commitEntry(store, node: "good", payloads: ["v": [3]])
        try Data("{".utf8).write(to: store.manifestURL(unreadable.key))
        try FileManager.default.removeItem(at: store.blobURL(blobless.outputs["v"]!.digest))
        let listed = try store.list()
        #expect(listed.filter { $0.damage != nil }.count == 2)
        let report = try store.gc()
        #expect(report.damagedEntriesRemoved == 2)
        #expect(try store.list().map(\.nodeID) == ["good"])
        #expect(store.lookup(good.key) == .hit(good))
    }

    @Test func statsAndListDescribeEntries() throws {
        let (store, scratch) = try makeStore(maxBytes: 1 << 30)
        defer { withExtendedLifetime(scratch) {} }
        let empty = try store.stats()
        #expect(empty.entries == 0 && empty.blobs == 0 && empty.totalBytes == 0 && empty.oldestUse == nil)
        let m = try fourEntries(store)
        let stats = try store.stats()
        #expect(stats.entries == 4 && stats.blobs == 4 && stats.blobBytes == 4000)
        #expect(stats.limitBytes == 1 << 30)
        #expect(stats.temporaryFiles == 0)
        let oldest = try #require(stats.oldestUse), newest = try #require(stats.newestUse)
        #expect(abs(newest.timeIntervalSince(oldest) - 3 * 3600) < 1)
        let list = try store.list()
        #expect(list.map(\.nodeID) == ["d", "c", "b", "a"])
        let first = try #require(list.first)
        #expect(first.key == m["d"]!.key)
        #expect(first.nodeType == "Test" && first.size == 1000 && first.durationSeconds == 1)
        #expect(first.created == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(first.graphFile == "/g.yaml" && first.damage == nil)
    }

    @Test func clearEmptiesTheStoreWhichStaysUsable() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let m = try fourEntries(store)
        try store.saveRunHistory(RunHistory(graph: "/g.yaml", nodes: ["a": .init(components: ["type": "Test"], key: nil)]))
        let report = try store.clear()
        #expect(report.evicted.count == 4 && report.blobsRemoved == 4)
        #expect(report.bytesFreed == report.bytesBefore)
        let stats = try store.stats()
        #expect(stats.entries == 0 && stats.blobs == 0 && stats.totalBytes == 0)
        #expect(store.runHistory(graph: "/g.yaml").nodes.isEmpty)
        #expect(store.lookup(m["a"]!.key) == .miss)
        let again = try commitEntry(store, node: "a", payloads: ["v": [0]])
        #expect(store.lookup(again.key) == .hit(again))
    }

    @Test func enforceLimitAppliesTheStoreLimitOnlyWhenOver() throws {
        let (probe, probeScratch) = try makeStore()
        defer { withExtendedLifetime(probeScratch) {} }
        _ = try fourEntries(probe)
        let fourBytes = try probe.stats().totalBytes

        let (roomy, roomyScratch) = try makeStore(maxBytes: fourBytes)
        defer { withExtendedLifetime(roomyScratch) {} }
        _ = try fourEntries(roomy)
        #expect(try roomy.enforceLimit() == nil)

        let (tight, tightScratch) = try makeStore(maxBytes: fourBytes / 2)
        defer { withExtendedLifetime(tightScratch) {} }
        _ = try fourEntries(tight)
        let report = try #require(try tight.enforceLimit())
        #expect(report.evicted.map(\.nodeID) == ["a", "b"])
        #expect(try tight.stats().totalBytes <= fourBytes / 2)
    }

    @Test func gcAndClearRefuseWhileARunHoldsTheCache() throws {
        let (store, scratch) = try makeStore(maxBytes: 1)
        defer { withExtendedLifetime(scratch) {} }
        let m = try fourEntries(store)
        let run = try store.acquireLock(.shared)
        #expect { _ = try store.gc() } throws: { ($0 as? CacheError)?.kind == .busy }
        #expect { _ = try store.clear() } throws: { error in
            let error = try #require(error as? CacheError)
            return error.kind == .busy && error.reason.contains("in use by a running reelflow")
        }
        #expect(try store.enforceLimit() == nil)
        #expect(store.lookup(m["a"]!.key) == .hit(m["a"]!))
        run.release()
        #expect(try store.enforceLimit() != nil)
    }
}
