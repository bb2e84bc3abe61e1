import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import Synchronization
import Testing

@Suite struct ExecutorTests {
    /// x = 2, y = 3, s = x + y, t = s + y, sink(t); `unused` is never needed.
    func diamond(_ world: TestWorld, x: Int = 2, y: Int = 3) -> ResolvedGraph {
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(x))])
        b.add("y", "Const", [("value", int(y))])
        b.add("unused", "Const", [("value", int(99))])
        b.add("s", "Add", [("a", edge("x")), ("b", edge("y"))])
        b.add("t", "Add", [("a", edge("s")), ("b", edge("y"))])
        b.add("sink", "Sink", [("x", edge("t"))])
        return b.graph()
    }

    func run(_ world: TestWorld, _ graph: ResolvedGraph, cache: CacheStore?, jobs: Int = 1,
             targets: [String] = [], log: EventLog = EventLog()) async throws -> RunSummary {
        try await Executor(registry: world.registry, graph: graph)
            .run(RunOptions(targets: targets, jobs: jobs, cache: cache), events: log)
    }

    @Test func coldRunRunsOnlyWhatOutputsNeed() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let summary = try await run(world, diamond(world), cache: try CacheStore(root: dir.url, maxBytes: nil))
        #expect(summary.outputs["sink"]?["out"] as? Int == 8)
        #expect(Set(summary.ran) == ["x", "y", "s", "t", "sink"])
        #expect(world.ran("unused") == 0)
    }

    @Test func rerunIsFullyCachedAcrossExecutors() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        _ = try await run(world, diamond(world), cache: try CacheStore(root: dir.url, maxBytes: nil))
        world.resetRuns()
        // A new store instance on the same directory stands for a new process.
        let summary = try await run(world, diamond(world), cache: try CacheStore(root: dir.url, maxBytes: nil))
        #expect(world.totalRuns == 0)
        #expect(summary.ran.isEmpty)
        #expect(summary.outputs["sink"]?["out"] as? Int == 8)
    }

    @Test func changingOneValueRerunsOnlyDependents() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        _ = try await run(world, diamond(world), cache: cache)
        world.resetRuns()
        let summary = try await run(world, diamond(world, x: 10), cache: cache)
        #expect(Set(summary.ran) == ["x", "s", "t", "sink"])
        #expect(world.ran("y") == 0)
        #expect(summary.outputs["sink"]?["out"] as? Int == 16)
    }

    @Test func earlyCutoffKeepsDependentsCached() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        // s = x + z is 5 in both runs: the second run recomputes x, z and s, and sink stays cached.
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(1))])
        b.add("z", "Const", [("value", int(4))])
        b.add("s", "Add", [("a", edge("x")), ("b", edge("z"))])
        b.add("sink", "Sink", [("x", edge("s"))])
        _ = try await run(world, b.graph(), cache: cache)
        world.resetRuns()
        b.add("x", "Const", [("value", int(2))])
        b.add("z", "Const", [("value", int(3))])
        let log = EventLog()
        let summary = try await run(world, b.graph(), cache: cache, log: log)
        #expect(Set(summary.ran) == ["x", "z", "s"])
        #expect(world.ran("sink") == 0)
        #expect(log.cutoffs == ["s"])
    }

    @Test func damagedEntryIsReportedRecomputedAndReplaced() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        _ = try await run(world, diamond(world), cache: cache)
        // Damage every blob: all entries fail their check on the next read.
        let cas = dir.url.appendingPathComponent("cas")
        for case let url as URL in FileManager.default.enumerator(at: cas, includingPropertiesForKeys: nil)!
        where !url.hasDirectoryPath {
            try Data("garbage".utf8).write(to: url)
        }
        world.resetRuns()
        let log = EventLog()
        let summary = try await run(world, diamond(world), cache: cache, log: log)
        #expect(!log.damaged.isEmpty)
        #expect(summary.outputs["sink"]?["out"] as? Int == 8)
        world.resetRuns()
        let again = EventLog()
        _ = try await run(world, diamond(world), cache: cache, log: again)
        #expect(world.totalRuns == 0)
        #expect(again.damaged.isEmpty)
    }

    @Test(arguments: [1, 2, 4])
    func resultsAreIdenticalForAnyJobs(jobs: Int) async throws {
        let world = TestWorld()
        var b = GraphBuilder(registry: world.registry)
        for i in 0..<12 { b.add("c\(i)", "Const", [("value", int(i))]) }
        for i in 0..<11 { b.add("a\(i)", "Add", [("a", edge(i == 0 ? "c0" : "a\(i - 1)")), ("b", edge("c\(i + 1)"))]) }
        b.add("sink", "Sink", [("x", edge("a10"))])
        let summary = try await run(world, b.graph(), cache: nil, jobs: jobs)
        #expect(summary.outputs["sink"]?["out"] as? Int == 66)
        #expect(world.totalRuns == 24)
    }

    @Test func independentNodesRunConcurrently() async throws {
        let world = TestWorld()
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(1))])
        b.add("r1", "Rendezvous", [("x", edge("x")), ("peers", int(2))])
        b.add("r2", "Rendezvous", [("x", edge("x")), ("peers", int(2))])
        b.add("s", "Add", [("a", edge("r1")), ("b", edge("r2"))])
        b.add("sink", "Sink", [("x", edge("s"))])
        // Each Rendezvous waits until both are inside at once: with jobs 2 this can only finish
        // if the two ran concurrently.
        let summary = try await run(world, b.graph(), cache: nil, jobs: 2)
        #expect(summary.outputs["sink"]?["out"] as? Int == 2)
        #expect(world.inside.withLock { $0.peak } == 2)
    }

    @Test func firstFailureCancelsRunningNodesAndCachesNothingOfThem() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(1))])
        b.add("wait", "Rendezvous", [("x", edge("x")), ("peers", int(99))])
        b.add("bad", "Fail", [("x", edge("x"))])
        b.add("s", "Add", [("a", edge("wait")), ("b", edge("bad"))])
        b.add("sink", "Sink", [("x", edge("s"))])
        let log = EventLog()
        await #expect {
            _ = try await run(world, b.graph(), cache: cache, jobs: 2, log: log)
        } throws: { error in
            String(describing: error) == "node bad (Fail) failed: this node always fails"
        }
        #expect(log.cancelled == ["wait"])
        // x finished and is cached; the cancelled node left nothing behind.
        world.resetRuns()
        let explanation = try Executor(registry: world.registry, graph: b.graph())
            .explain(RunOptions(cache: cache))
        #expect(explanation.first { $0.node == "x" }?.status == .cached)
        #expect(explanation.first { $0.node == "wait" }?.status == .willRun)
    }

    @Test func cancellationStopsTheRun() async throws {
        let world = TestWorld()
        var b = GraphBuilder(registry: world.registry)
        b.add("x", "Const", [("value", int(1))])
        b.add("wait", "Rendezvous", [("x", edge("x")), ("peers", int(99))])
        b.add("sink", "Sink", [("x", edge("wait"))])
        let graph = b.graph()
        let task = Task { try await run(world, graph, cache: nil) }
        while world.inside.withLock({ $0.now }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func memoryOnlyNodeRunsOnlyWhenADependentMustRun() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        func graph(x: Int) -> ResolvedGraph {
            var b = GraphBuilder(registry: world.registry)
            b.add("h", "Handle", [("seed", int(7))])
            b.add("x", "Const", [("value", int(x))])
            b.add("u", "Use", [("handle", edge("h", "handle")), ("x", edge("x"))])
            b.add("sink", "Sink", [("x", edge("u"))])
            return b.graph()
        }
        let first = try await run(world, graph(x: 1), cache: cache)
        #expect(first.outputs["sink"]?["out"] as? Int == 7001)
        #expect(world.ran("h") == 1)
        world.resetRuns()
        _ = try await run(world, graph(x: 1), cache: cache)
        #expect(world.ran("h") == 0)
        world.resetRuns()
        let third = try await run(world, graph(x: 2), cache: cache)
        #expect(world.ran("h") == 1)
        #expect(third.outputs["sink"]?["out"] as? Int == 7002)
    }

    @Test func onlyTargetsAndNoCache() async throws {
        let world = TestWorld()
        let summary = try await run(world, diamond(world), cache: nil, targets: ["s"])
        #expect(Set(summary.ran) == ["x", "y", "s"])
        #expect(summary.outputs["s"]?["out"] as? Int == 5)
        await #expect {
            _ = try await run(world, diamond(world), cache: nil, targets: ["sinc"])
        } throws: { error in
            String(describing: error) == "no node named sinc in the graph; did you mean sink?"
        }
    }

    @Test func explainNamesWhatChanged() async throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let world = TestWorld()
        let cache = try CacheStore(root: dir.url, maxBytes: nil)
        _ = try await run(world, diamond(world), cache: cache)
        let items = try Executor(registry: world.registry, graph: diamond(world, x: 5))
            .explain(RunOptions(cache: cache))
        let byNode = Dictionary(uniqueKeysWithValues: items.map { ($0.node, $0) })
        #expect(byNode["y"]?.status == .cached)
        #expect(byNode["x"]?.status == .willRun)
        #expect(byNode["x"]?.reasons == ["input value changed: 2 -> 5"])
        #expect(byNode["s"]?.status == .dependsOnRerun)
        #expect(byNode["s"]?.reasons == ["input from x, which will run"])
    }
}
