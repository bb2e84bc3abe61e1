import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheStoreTests {
    @Test func missThenHitAfterCommit() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        var builder = KeyBuilder()
        builder.add("type", string: "Test")
        builder.add("node", string: "a")
        #expect(store.lookup(builder.finalize()) == .miss)
        let manifest = try commitEntry(store, node: "a", payloads: ["value": Array("42".utf8)])
        #expect(manifest.key == builder.finalize())
        #expect(store.lookup(manifest.key) == .hit(manifest))
        let output = try #require(manifest.outputs["value"])
        #expect(try store.readBlob(output.blob) == Data("42".utf8))
        #expect(try Data(contentsOf: store.verifiedBlobURL(output.blob)) == Data("42".utf8))
    }

    @Test func layoutIsTwoShardedMapsWithFormatFile() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": [1, 2, 3]])
        let digest = try #require(manifest.outputs["value"]).digest
        let root = store.root.path
        #expect(try String(contentsOfFile: root + "/FORMAT", encoding: .utf8) == "reelflow-cache 1\n")
        #expect(FileManager.default.fileExists(atPath: "\(root)/cas/\(digest.hex.prefix(2))/\(digest.hex)"))
        #expect(FileManager.default.fileExists(
            atPath: "\(root)/ac/\(manifest.key.hex.prefix(2))/\(manifest.key.hex).json"))
        #expect(filesIn(root + "/tmp").isEmpty)
        // Manifests are JSON with sorted keys.
        let json = try String(contentsOf: store.manifestURL(manifest.key), encoding: .utf8)
        let keys = ["created", "durationSeconds", "engineVersion", "files", "format", "graphFile", "inputs",
                    "key", "nodeID", "nodeType", "nodeVersion", "outputs", "params"]
        let positions = keys.map { json.range(of: "\"\($0)\"")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test func incompatibleFormatIsRefusedWithGuidance() throws {
        let scratch = try ScratchDirectory()
        try Data("reelflow-cache 99\n".utf8).write(to: scratch.url.appendingPathComponent("FORMAT"))
        #expect {
            _ = try CacheStore(root: scratch.url, maxBytes: nil)
        } throws: { error in
            let error = try #require(error as? CacheError)
            return error.kind == .incompatibleFormat && error.description.contains("reelflow-cache 99")
                && error.description.contains("REELFLOW_CACHE_DIR")
        }
    }

    @Test func unparseableManifestIsDamaged() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": [7]])
        try Data("{\"key\": tru".utf8).write(to: store.manifestURL(manifest.key))
        guard case .damaged(let reason) = store.lookup(manifest.key) else {
            Issue.record("expected damaged, got \(store.lookup(manifest.key))")
            return
        }
        #expect(reason.hasPrefix(store.manifestURL(manifest.key).path + ": not valid manifest JSON"))
    }

    @Test func manifestForAnotherKeyIsDamaged() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let a = try commitEntry(store, node: "a", payloads: ["value": [1]])
        let b = try commitEntry(store, node: "b", payloads: ["value": [2]])
        try FileManager.default.removeItem(at: store.manifestURL(b.key))
        try FileManager.default.copyItem(at: store.manifestURL(a.key), to: store.manifestURL(b.key))
        guard case .damaged(let reason) = store.lookup(b.key) else { Issue.record("expected damaged"); return }
        #expect(reason.contains("the manifest is for key \(a.key.hex), not \(b.key.hex)"))
    }

    @Test func missingBlobIsDamaged() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": [1, 2, 3]])
        let blob = try #require(manifest.outputs["value"]).blob
        try FileManager.default.removeItem(at: store.blobURL(blob.digest))
        #expect(store.lookup(manifest.key)
                == .damaged(reason: "output \"value\" of node a: blob \(store.blobURL(blob.digest).path) is missing"))
        #expect { _ = try store.readBlob(blob) } throws: { ($0 as? CacheError)?.kind == .damaged }
    }

    @Test func truncatedBlobIsDamaged() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": Array(repeating: 9, count: 100)])
        let blob = try #require(manifest.outputs["value"]).blob
        try Data(repeating: 9, count: 60).write(to: store.blobURL(blob.digest))
        #expect(store.lookup(manifest.key) == .damaged(reason:
            "output \"value\" of node a: blob \(store.blobURL(blob.digest).path) has 60 bytes, expected 100"))
    }

    @Test func alteredBlobIsDamagedOnVerifiedReadAndRemoved() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": Array(repeating: 9, count: 100)])
        let blob = try #require(manifest.outputs["value"]).blob
        try Data(repeating: 8, count: 100).write(to: store.blobURL(blob.digest))  // same size, other bytes
        // The cheap check (exists, right size) passes; reading verifies the digest.
        #expect(store.lookup(manifest.key) == .hit(manifest))
        #expect { _ = try store.readBlob(blob) } throws: { error in
            let error = try #require(error as? CacheError)
            return error.kind == .damaged && error.reason.contains("do not match its digest")
        }
        #expect(!store.containsBlob(blob.digest))
        guard case .damaged = store.lookup(manifest.key) else { Issue.record("expected damaged"); return }
    }

    @Test func verifyContentsLookupCatchesAlteredBlob() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": Array(repeating: 9, count: 100)])
        let blob = try #require(manifest.outputs["value"]).blob
        try Data(repeating: 8, count: 100).write(to: store.blobURL(blob.digest))
        guard case .damaged(let reason) = store.lookup(manifest.key, verifyContents: true) else {
            Issue.record("expected damaged"); return
        }
        #expect(reason.contains("has contents with digest"))
        #expect { _ = try store.verifiedBlobURL(blob) } throws: { ($0 as? CacheError)?.kind == .damaged }
    }

    @Test func recomputeReplacesDamagedEntry() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let payload: [UInt8] = Array(repeating: 5, count: 64)
        let first = try commitEntry(store, node: "a", payloads: ["value": payload])
        let blob = try #require(first.outputs["value"]).blob
        // Damage both the manifest and the blob.
        try Data(repeating: 0, count: 64).write(to: store.blobURL(blob.digest))
        try Data("garbage".utf8).write(to: store.manifestURL(first.key))
        guard case .damaged = store.lookup(first.key) else { Issue.record("expected damaged"); return }
        // The recompute stores the same bytes and commits the same key.
        let second = try commitEntry(store, node: "a", payloads: ["value": payload])
        #expect(second.key == first.key)
        #expect(store.lookup(first.key) == .hit(second))
        #expect(try store.readBlob(blob) == Data(payload))
    }

    @Test func commitRefusesMissingBlobs() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let ghost = BlobRef(digest: Digest.of(string: "never stored"), size: 12)
        let manifest = CacheManifest(
            key: Digest.of(string: "k"), nodeID: "n", nodeType: "T", nodeVersion: 1, params: "{}", inputs: [:],
            outputs: ["out": CacheOutput(ghost, portType: "INT", encoding: "json")], durationSeconds: 0,
            engineVersion: "test")
        #expect { try store.commit(manifest) } throws: { error in
            let error = try #require(error as? CacheError)
            return error.kind == .invalidRequest && error.reason.contains("cannot commit node n: output \"out\"")
        }
        #expect(store.lookup(manifest.key) == .miss)
    }

    @Test func throwingBlobWriterLeavesNothing() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try store.putBlob { url in
                try Data(repeating: 1, count: 4096).write(to: url)
                throw Interrupted()
            }
        }
        #expect(filesIn(store.root.path + "/tmp").isEmpty)
        #expect(try store.stats().blobs == 0)
    }

    @Test func blobWriterResultIsHashedAndDeduplicated() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let bytes = Data((0..<10_000).map { UInt8($0 % 251) })
        let written = try store.putBlob { url in try bytes.write(to: url) }
        let direct = try store.putBlob(data: bytes)
        #expect(written == direct)
        #expect(written == BlobRef(digest: Digest.of(data: bytes), size: 10_000))
        let stats = try store.stats()
        #expect(stats.blobs == 1 && stats.blobBytes == 10_000 && stats.temporaryFiles == 0)
        // Two entries with the same output share one blob.
        try commitEntry(store, node: "x", payloads: ["v": Array(bytes)])
        try commitEntry(store, node: "y", payloads: ["v": Array(bytes)])
        #expect(try store.stats().blobs == 1)
        #expect(try store.stats().entries == 2)
    }

    @Test func touchMovesLastUse() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": [1]])
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        try setModified(store.manifestURL(manifest.key).path, past)
        #expect(try store.list().first?.lastUsed == past)
        store.touch(manifest.key)
        #expect(try #require(store.list().first).lastUsed.timeIntervalSinceNow > -60)
        store.touch(Digest.of(string: "absent"))  // harmless
    }

    @Test func emptyOutputIsAValidBlob() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let manifest = try commitEntry(store, node: "empty", payloads: ["value": []])
        let blob = try #require(manifest.outputs["value"]).blob
        #expect(blob == BlobRef(digest: Digest.of(data: [UInt8]()), size: 0))
        #expect(blob.digest.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(store.lookup(manifest.key) == .hit(manifest))
        #expect(try store.readBlob(blob).isEmpty)
    }

    @Test func survivesRemovedDirectories() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        for dir in ["tmp", "ac", "cas"] { try FileManager.default.removeItem(atPath: store.root.path + "/" + dir) }
        let manifest = try commitEntry(store, node: "a", payloads: ["value": [1, 2]])
        #expect(store.lookup(manifest.key) == .hit(manifest))
    }

    @Test func defaultRootFollowsEnvironment() {
        #expect(CacheStore.defaultRoot(environment: ["REELFLOW_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"])
                .path == "/c")
        #expect(CacheStore.defaultRoot(environment: ["REELFLOW_CACHE_DIR": "", "XDG_CACHE_HOME": "/x", "HOME": "/h"])
                .path == "/x/reelflow")
        #expect(CacheStore.defaultRoot(environment: ["HOME": "/h"]).path == "/h/.cache/reelflow")
    }
}
