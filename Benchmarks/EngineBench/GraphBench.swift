import CoreNodes
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph

/// Engine benchmarks on synthetic graphs of trivial core nodes: a chain of Transform
/// nodes from one Text root, with every tenth node a Join back to the root (a DAG whose
/// texts stay short), ending in one SaveText.
enum GraphBench {
    static func yaml(nodes count: Int, output: String) -> String {
        var lines = ["reelflow: 1", "description: synthetic benchmark graph of \(count) nodes", "nodes:"]
        lines += ["  n0:", "    type: Text", "    text: x"]
        for i in 1..<(count - 1) {
            if i % 10 == 0 {
                lines += ["  n\(i):", "    type: Join", "    a: $n\(i - 1)", "    b: $n0"]
            } else {
                lines += ["  n\(i):", "    type: Transform", "    text: $n\(i - 1)", "    mode: \(i % 2 == 0 ? "upper" : "lower")"]
            }
        }
        lines += ["  save:", "    type: SaveText", "    text: $n\(count - 2)", "    path: \(output)", "    existing: overwrite"]
        return lines.joined(separator: "\n") + "\n"
    }

    static var registry: NodeRegistry {
        var registry = NodeRegistry()
        CoreNodes.register(into: &registry)
        return registry
    }

    /// Writes the graph file for `count` nodes into `dir`; returns its path.
    static func writeGraph(nodes count: Int, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("graph-\(count).yaml").path
        try yaml(nodes: count, output: "out-\(count).txt").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Load + validate + plan, in process.
    static func validateAndPlan(path: String) throws -> Int {
        let graph = try GraphLoader(schemas: registry).load(file: path)
        return try graph.plan(targets: graph.defaultTargets).count
    }

    /// One run in process; returns the number of nodes that ran.
    static func run(path: String, cache: CacheStore?) async throws -> Int {
        let graph = try GraphLoader(schemas: registry).load(file: path)
        let summary = try await Executor(registry: registry, graph: graph)
            .run(RunOptions(cache: cache), events: NullSink())
        return summary.ran.count
    }
}

struct NullSink: EngineEventSink {
    func handle(_ event: EngineEvent) {}
}
