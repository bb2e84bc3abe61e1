import Foundation
import ReelflowEngine

/// How to decode cache manifests (issue 8, "one reader per format"): `JSONDecoder` into a
/// `Decodable` manifest, against `CacheManifest.decode` (`JSONSerialization` plus a mapping of
/// its dictionaries, dates through `Date.ISO8601FormatStyle`), on 1,000 manifests written by
/// the engine's own store. Both produce the same `CacheManifest`; the store keeps the faster,
/// `JSONSerialization` (decided by this benchmark; see docs/benchmarks.md).
enum ManifestDecodeBench {
    static func run() {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-manifest-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try! CacheStore(root: scratch, maxBytes: nil, durable: false)
        let keys = (0..<CacheBench.nodes).map { CacheBench.builder($0).finalize() }
        var written: [CacheManifest] = []
        for (i, key) in keys.enumerated() { written.append(try! store.commitSmall(key: key, node: i)) }
        let files = keys.map { FileManager.default.contents(atPath: store.manifestURL($0).path)! }
        let bytes = files.reduce(0) { $0 + $1.count }
        print("## Manifest decode (\(files.count) manifests written by CacheStore, \(bytes / files.count) bytes each; "
              + "medians of \(CacheBench.repetitions) alternating runs, OPENBLAS_CORETYPE="
              + "\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"))")

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        // Both decoders must give back the same manifest, and what was written (the stored
        // date has whole seconds).
        for (file, manifest) in zip(files, written) {
            let decoded = try! decoder.decode(DecodableManifest.self, from: file).manifest
            precondition(try! CacheManifest.decode(Array(file)).get() == decoded, "the JSONSerialization mapping disagrees")
            precondition(decoded.key == manifest.key && decoded.outputs == manifest.outputs
                         && abs(decoded.created.timeIntervalSince(manifest.created)) < 1, "JSONDecoder disagrees")
        }
        let codable = { for file in files { _ = try! decoder.decode(DecodableManifest.self, from: file).manifest } }
        let serialization = { for file in files { _ = try! CacheManifest.decode(Array(file)).get() } }
        let (wallCodable, wallSerialization) = CacheBench.paired(CacheBench.repetitions, codable, serialization)
        CacheBench.report("JSONDecoder (Codable) -> CacheManifest", wallCodable,
                          peer: ("CacheManifest.decode (JSONSerialization)", wallSerialization))
        let (cpuCodable, cpuSerialization) = CacheBench.paired(
            CacheBench.repetitions, codable, serialization, clock: CacheBench.cpuNow)
        CacheBench.report("same, thread CPU time", cpuCodable,
                          peer: ("CacheManifest.decode, CPU", cpuSerialization))
        // A fresh decoder per manifest, as a one-shot `decode` function would make.
        let (fresh, _) = CacheBench.paired(CacheBench.repetitions, {
            for file in files {
                let d = JSONDecoder()
                d.dateDecodingStrategy = .iso8601
                _ = try! d.decode(DecodableManifest.self, from: file).manifest
            }
        }, serialization)
        CacheBench.report("JSONDecoder, a new decoder per manifest", fresh,
                          peer: ("CacheManifest.decode (JSONSerialization)", wallSerialization))
    }

    /// The `Codable` candidate: the manifest's fields as a `Decodable` struct (what
    /// `CacheManifest` synthesised before it was made `Encodable` only), then copied over.
    struct DecodableManifest: Decodable {
        var format: Int
        var key: Digest
        var nodeID: String
        var nodeType: String
        var nodeVersion: Int
        var params: String
        var inputs: [String: Digest]
        var files: [String: FileFingerprint]
        var outputs: [String: CacheOutput]
        var durationSeconds: Double
        var created: Date
        var engineVersion: String
        var graphFile: String?

        var manifest: CacheManifest {
            var m = CacheManifest(
                key: key, nodeID: nodeID, nodeType: nodeType, nodeVersion: nodeVersion, params: params,
                inputs: inputs, files: files, outputs: outputs, durationSeconds: durationSeconds, created: created,
                engineVersion: engineVersion, graphFile: graphFile)
            m.format = format
            return m
        }
    }
}
