import Foundation
import OrderedCollections
@testable import ReelflowEngine
import ReelflowGraph
import Testing

/// Entries damaged on disk (issue 8): each is reported naming the node and recomputed in
/// the same run, and the maintenance commands find and remove it.
@Suite struct CacheDamageTests {
    /// s = x + y; t = s + w; sink(t). Changing w reruns t, which loads s from the cache.
    func graph(_ world: TestWorld, w: Int) -> ResolvedGraph {
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(2))])
        b.add("y", "Const", [("value", int(3))])
        b.add("w", "Const", [("value", int(w))])
        b.add("s", "Add", [("a", edge("x")), ("b", edge("y"))])
        b.add("t", "Add", [("a", edge("s")), ("b", edge("w"))])
        b.add("sink", "Sink", [("x", edge("t"))])
        return b.graph()
    }

    func run(_ world: TestWorld, _ graph: ResolvedGraph, _ cache: CacheStore, log: EventLog = EventLog()) async throws -> RunSummary {
        try await Executor(registry: world.registry, graph: graph).run(RunOptions(cache: cache), events: log)
    }

    func store(_ dir: TempDir, _ world: TestWorld) throws -> CacheStore {
        try CacheStore(root: dir.url, durable: false,
                       knownEncodings: Set(world.registry.codecs.values.map(\.encodingName)))
    }

    /// The manifest of node `id` and its path.
    func entry(_ cache: CacheStore, _ id: String) throws -> (CacheManifest, String) {
        let summary = try #require(try cache.list().first { $0.nodeID == id })
        guard case .hit(let manifest) = cache.lookup(summary.key) else { throw CacheError(.damaged, path: id, reason: "no hit") }
        return (manifest, cache.manifestURL(summary.key).path)
    }

    /// Rewrites the JSON of node `id`'s manifest.
    func editManifest(_ cache: CacheStore, _ id: String, _ edit: (inout [String: Any]) -> Void) throws {
        let (_, path) = try entry(cache, id)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    }

    @Test func aDamagedBlobReadIsReportedAndRecomputedInTheSameRun() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try store(dir, world)
        _ = try await run(world, graph(world, w: 1), cache)
        let (manifest, _) = try entry(cache, "s")
        let blob = cache.blobURL(manifest.outputs["out"]!.digest)
        var bytes = try Data(contentsOf: blob)
        bytes[0] ^= 0x01  // same size, other contents: only a verified read notices
        try bytes.write(to: blob)
        world.resetRuns()
        let log = EventLog()
        let summary = try await run(world, graph(world, w: 10), cache, log: log)
        #expect(log.damaged == ["s"])
        #expect(Set(summary.ran) == ["w", "s", "t", "sink"])
        #expect(summary.outputs["sink"]?["out"] as? Int == 15)
        // The entry was replaced: the next run is fully cached.
        world.resetRuns()
        _ = try await run(world, graph(world, w: 10), cache)
        #expect(world.totalRuns == 0)
    }

    @Test func aManifestWithNoOutputsIsDamagedNotACrash() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try store(dir, world)
        _ = try await run(world, graph(world, w: 1), cache)
        try editManifest(cache, "s") { $0["outputs"] = [String: Any]() }
        #expect(try cache.list().filter { $0.damage != nil }.count == 1)
        world.resetRuns()
        let log = EventLog()
        let summary = try await run(world, graph(world, w: 10), cache, log: log)
        #expect(log.damaged == ["s"])
        #expect(summary.outputs["sink"]?["out"] as? Int == 15)
        try editManifest(cache, "x") { $0["outputs"] = [String: Any]() }
        #expect(try cache.gc().damagedEntriesRemoved == 1)
    }

    @Test func anUnknownEncodingIsDamagedRecomputedAndCollected() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try store(dir, world)
        _ = try await run(world, graph(world, w: 1), cache)
        let martian: (inout [String: Any]) -> Void = { json in
            var outputs = json["outputs"] as! [String: [String: Any]]
            outputs["out"]!["encoding"] = "martian-v9"
            json["outputs"] = outputs
        }
        try editManifest(cache, "s", martian)
        world.resetRuns()
        let log = EventLog()
        let summary = try await run(world, graph(world, w: 10), cache, log: log)
        #expect(log.damaged == ["s"])
        #expect(summary.outputs["sink"]?["out"] as? Int == 15)
        world.resetRuns()
        _ = try await run(world, graph(world, w: 10), cache)
        #expect(world.totalRuns == 0, "the entry was replaced")
        try editManifest(cache, "x", martian)
        #expect(try cache.gc().damagedEntriesRemoved == 1)
        // A store that does not know the encodings (nil) leaves judging them to the executor.
        let lenient = try CacheStore(root: dir.url, durable: false)
        #expect(try lenient.list().allSatisfy { $0.damage == nil })
    }

    @Test func aDirectoryWhereABlobOrManifestGoesIsReplacedAndClearRemovesIt() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try store(dir, world)
        _ = try await run(world, graph(world, w: 1), cache)
        let (manifest, manifestPath) = try entry(cache, "s")
        let blob = cache.blobURL(manifest.outputs["out"]!.digest).path
        for path in [blob, try entry(cache, "x").1] {
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
        }
        world.resetRuns()
        let log = EventLog()
        let summary = try await run(world, graph(world, w: 10), cache, log: log)
        #expect(Set(log.damaged) == ["s", "x"])
        #expect(summary.outputs["sink"]?["out"] as? Int == 15)
        #expect(FileManager.default.fileExists(atPath: manifestPath))
        var isDirectory: ObjCBool = true
        #expect(FileManager.default.fileExists(atPath: blob, isDirectory: &isDirectory) && !isDirectory.boolValue)
        // clear removes everything, a directory in a shard included.
        try FileManager.default.createDirectory(atPath: blob + ".stray/inner", withIntermediateDirectories: true)
        try cache.clear()
        #expect(filesIn(dir.url.path + "/cas") == [] && filesIn(dir.url.path + "/ac") == [])
    }
}
