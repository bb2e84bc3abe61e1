import Foundation
import ReelflowEngine
import ReelflowGraph
import Synchronization
import Testing

/// Run settings (`RunOptions.settings`, e.g. `reelflow run --device cuda`): a node type that
/// reads one gets it in its context and has it in its cache key; other nodes' keys stay as they
/// were, and a run without settings keys every node as before settings existed.
@Suite struct RunSettingsTests {
    /// x = 7 -> scaled (reads `scale`) -> sink.
    func graph(_ world: TestWorld) -> ResolvedGraph {
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(7))])
        b.add("scaled", "Scaled", [("x", edge("x"))])
        b.add("sink", "Sink", [("x", edge("scaled"))])
        return b.graph()
    }

    func run(_ world: TestWorld, cache: CacheStore, settings: [String: String]) async throws -> RunSummary {
        try await Executor(registry: world.registry, graph: graph(world))
            .run(RunOptions(cache: cache, settings: settings), events: EventLog())
    }

    @Test func aSettingReachesTheNodesThatReadItAndKeysOnlyThem() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        let world = TestWorld()
        var summary = try await run(world, cache: cache, settings: [:])
        #expect(summary.outputs["sink"]?["out"] as? Int == 7)
        #expect(world.seenSettings.withLock { $0["scaled"] } == [:])

        world.resetRuns()
        summary = try await run(world, cache: cache, settings: ["scale": "3", "unrelated": "x"])
        #expect(summary.outputs["sink"]?["out"] as? Int == 21)
        #expect(world.ran("x") == 0, "Const reads no setting: its key did not change")
        #expect(world.ran("scaled") == 1 && world.ran("sink") == 1)
        #expect(world.seenSettings.withLock { $0["scaled"] } == ["scale": "3"], "only the settings it reads")

        world.resetRuns()
        summary = try await run(world, cache: cache, settings: ["scale": "3"])
        #expect(world.totalRuns == 0, "the same setting again: every node from the cache")
        #expect(summary.outputs["sink"]?["out"] as? Int == 21)

        world.resetRuns()
        summary = try await run(world, cache: cache, settings: [:])
        #expect(world.totalRuns == 0, "no setting: the first run's entries still stand")
        #expect(summary.outputs["sink"]?["out"] as? Int == 7)
    }

    @Test func explainNamesTheSettingThatChanged() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        let world = TestWorld()
        _ = try await run(world, cache: cache, settings: [:])
        let explained = try Executor(registry: world.registry, graph: graph(world))
            .explain(RunOptions(cache: cache, settings: ["scale": "2"]))
        let scaled = explained.first { $0.node == "scaled" }
        #expect(scaled?.status == .willRun)
        #expect(scaled?.reasons.contains { $0 == "run setting scale: not given -> 2" } == true, "\(scaled?.reasons ?? [])")
    }
}
