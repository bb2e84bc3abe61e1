import Foundation
import OrderedCollections
import ReelflowGraph

/// Runs a resolved graph: demand-driven (only what the targets need), cached on disk per
/// node, with early cutoff and up to `jobs` nodes at once.
///
/// The scheduler is one loop that owns all state; node runs and cache loads are child tasks
/// of one task group, so a failure or a cancellation (Ctrl-C) cancels every running node and
/// nothing half-done is committed to the cache (a node's outputs are stored only after its
/// run function returns). Results are kept by node id, never by completion order, so any
/// `jobs` value gives the same outputs.
///
/// A node is keyed once the content digests of all its inputs are known:
/// - a cache hit gives its output digests without loading anything;
/// - a memory-only node (a model handle) gets digests derived from its key and runs only
///   when a node that must run needs its value;
/// - a miss runs the node; its outputs' digests may equal the last ones, and then its
///   dependents hit the cache (early cutoff).
public struct Executor: Sendable {
    public let registry: NodeRegistry
    public let graph: ResolvedGraph

    public init(registry: NodeRegistry, graph: ResolvedGraph) {
        self.registry = registry
        self.graph = graph
    }

    /// Runs what `options.targets` need.
    /// - Throws: `EngineError.nodeFailed` naming the first failing node; `CancellationError`
    ///   when cancelled.
    public func run(_ options: RunOptions, events: any EngineEventSink) async throws -> RunSummary {
        let start = ContinuousClock.now
        let targets = try resolveTargets(options.targets)
        let order = try graph.plan(targets: targets)
        try checkCodecs(order)
        events.handle(.planned(nodes: order.map { .init(id: $0, type: graph.nodes[$0]!.schema.name) }))
        var run = RunState(graph: graph, order: order, targets: targets, options: options)
        do {
            try await run.execute(registry: registry, events: events)
        } catch {
            run.saveHistory()
            let message = error is CancellationError ? "cancelled" : String(describing: error)
            events.handle(.runFinished(ran: run.ran.count, cached: run.cached.count,
                                       seconds: (ContinuousClock.now - start).seconds, error: message))
            throw error
        }
        run.saveHistory()
        let seconds = (ContinuousClock.now - start).seconds
        events.handle(.runFinished(ran: run.ran.count, cached: run.cached.count, seconds: seconds))
        return RunSummary(ran: run.ran, cached: run.cached, outputs: run.targetOutputs(), seconds: seconds)
    }

    private func resolveTargets(_ requested: [String]) throws -> [String] {
        if requested.isEmpty {
            let outputs = graph.defaultTargets
            guard !outputs.isEmpty else { throw EngineError.noTargets(file: graph.file) }
            return outputs
        }
        for name in requested where graph.nodes[name] == nil {
            throw EngineError.unknownTarget(name, suggestion: Suggestions.closest(to: name, in: Array(graph.nodes.keys)))
        }
        return requested
    }

    /// Every persisted output needs a codec, or its node could never be cached; that is a
    /// registration bug, reported before anything runs.
    private func checkCodecs(_ order: [String]) throws {
        for id in order {
            let schema = graph.nodes[id]!.schema
            guard schema.persistence == .persisted else { continue }
            for output in schema.outputs where registry.codec(for: output.type) == nil {
                throw EngineError.missingCodec(node: id, type: schema.name, port: output.type.kindName)
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, for timings and progress output.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) * 1e-18
    }
}
