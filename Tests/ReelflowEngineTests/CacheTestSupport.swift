import Foundation
@testable import ReelflowEngine

/// A fresh directory under the system temp dir, removed when the object goes away.
final class ScratchDirectory: Sendable {
    let url: URL

    init(_ label: String = "cache") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A store in a fresh scratch directory (the directory lives as long as the pair).
func makeStore(maxBytes: Int64? = nil, durable: Bool = false) throws -> (CacheStore, ScratchDirectory) {
    let scratch = try ScratchDirectory()
    let store = try CacheStore(root: scratch.url.appendingPathComponent("root"), maxBytes: maxBytes, durable: durable)
    return (store, scratch)
}

/// Stores `payloads` as blobs and commits a manifest for `node` whose outputs are them.
@discardableResult
func commitEntry(_ store: CacheStore, node: String, payloads: [String: [UInt8]],
                 seed: String = "", duration: Double = 1) throws -> CacheManifest {
    var outputs: [String: CacheOutput] = [:]
    for (name, bytes) in payloads {
        outputs[name] = CacheOutput(try store.putBlob(data: bytes), portType: "INT", encoding: "json")
    }
    var builder = KeyBuilder()
    builder.add("type", string: "Test")
    builder.add("node", string: node + seed)
    let manifest = CacheManifest(
        key: builder.finalize(), nodeID: node, nodeType: "Test", nodeVersion: 1, params: "{}",
        inputs: [:], outputs: outputs, durationSeconds: duration,
        created: Date(timeIntervalSince1970: 1_700_000_000), engineVersion: "test", graphFile: "/g.yaml")
    try store.commit(manifest)
    return manifest
}

/// Sets a file's modification time.
func setModified(_ path: String, _ date: Date) throws {
    try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
}

/// Names of the files in a directory (empty when it does not exist).
func filesIn(_ path: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? []
}
