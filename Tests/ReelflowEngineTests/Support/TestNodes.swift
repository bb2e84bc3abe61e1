import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import Synchronization

/// Small real node types for engine tests: integer arithmetic on NUMBER ports, a
/// memory-only handle, a failing node, and a node that waits for company (to observe
/// concurrency without timing).
final class TestWorld: Sendable {
    /// How often each node id ran.
    let runs = Mutex<[String: Int]>([:])
    /// How many nodes are inside `Rendezvous` right now, and the most seen at once.
    let inside = Mutex<(now: Int, peak: Int)>((0, 0))
    /// The run settings each `Scaled` node saw.
    let seenSettings = Mutex<[String: [String: String]]>([:])

    func ran(_ id: String) -> Int { runs.withLock { $0[id] ?? 0 } }
    var totalRuns: Int { runs.withLock { $0.values.reduce(0, +) } }
    func resetRuns() { runs.withLock { $0 = [:] } }

    private func count(_ id: String) { runs.withLock { $0[id, default: 0] += 1 } }

    static let number = ValueType.port("NUMBER")
    static let handle = ValueType.port("HANDLE")

    var registry: NodeRegistry {
        var registry = NodeRegistry()
        registry.register(codec: BuiltinNumberCodec.codec, for: "NUMBER")
        registry.register(NodeType(
            schema: NodeSchema(name: "Const", version: 1, doc: "A number.",
                               inputs: [InputSpec("value", .int(), doc: "The number.")],
                               outputs: [OutputSpec("out", Self.number, doc: "The number.")])
        ) { inputs, context in
            self.count(context.nodeID)
            return ["out": try inputs.int("value")]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Add", version: 1, doc: "a + b.",
                               inputs: [InputSpec("a", Self.number, doc: "a"), InputSpec("b", Self.number, doc: "b")],
                               outputs: [OutputSpec("out", Self.number, doc: "a + b")])
        ) { inputs, context in
            self.count(context.nodeID)
            return ["out": try inputs.port("a", as: Int.self) + inputs.port("b", as: Int.self)]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Handle", version: 1, doc: "A memory-only handle.",
                               inputs: [InputSpec("seed", .int(), doc: "seed")],
                               outputs: [OutputSpec("handle", Self.handle, doc: "h")],
                               persistence: .memoryOnly)
        ) { inputs, context in
            self.count(context.nodeID)
            return ["handle": try inputs.int("seed") * 1000]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Use", version: 1, doc: "handle + x.",
                               inputs: [InputSpec("handle", Self.handle, doc: "h"), InputSpec("x", Self.number, doc: "x")],
                               outputs: [OutputSpec("out", Self.number, doc: "sum")])
        ) { inputs, context in
            self.count(context.nodeID)
            return ["out": try inputs.port("handle", as: Int.self) + inputs.port("x", as: Int.self)]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Fail", version: 1, doc: "Always fails.",
                               inputs: [InputSpec("x", Self.number, doc: "x")],
                               outputs: [OutputSpec("out", Self.number, doc: "never")])
        ) { _, context in
            self.count(context.nodeID)
            throw CodecError(message: "this node always fails")
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Rendezvous", version: 1,
                               doc: "Waits (cancellably) until `peers` nodes are inside at once, or forever.",
                               inputs: [InputSpec("x", Self.number, doc: "x"), InputSpec("peers", .int(), doc: "n")],
                               outputs: [OutputSpec("out", Self.number, doc: "x")])
        ) { inputs, context in
            self.count(context.nodeID)
            let peers = try inputs.int("peers")
            self.inside.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            defer { self.inside.withLock { $0.now -= 1 } }
            while self.inside.withLock({ $0.peak }) < peers {
                try await Task.sleep(for: .milliseconds(2))
            }
            return ["out": try inputs.port("x", as: Int.self)]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Scaled", version: 1, doc: "x times the run setting `scale` (1 when not given).",
                               inputs: [InputSpec("x", Self.number, doc: "x")],
                               outputs: [OutputSpec("out", Self.number, doc: "x * scale")], settings: ["scale"])
        ) { inputs, context in
            self.count(context.nodeID)
            self.seenSettings.withLock { $0[context.nodeID] = context.settings }
            return ["out": try inputs.port("x", as: Int.self) * Int(context.settings["scale"] ?? "1")!]
        })
        registry.register(NodeType(
            schema: NodeSchema(name: "Sink", version: 1, doc: "Output node.",
                               inputs: [InputSpec("x", Self.number, doc: "x")],
                               outputs: [OutputSpec("out", Self.number, doc: "x")], isOutput: true)
        ) { inputs, context in
            self.count(context.nodeID)
            #if DEBUG
            precondition(context.settings.isEmpty, "a node that reads no settings was given some")
            #endif
            return ["out": try inputs.port("x", as: Int.self)]
        })
        return registry
    }
}

enum BuiltinNumberCodec {
    static let codec = PortCodec(
        encodingName: "number-v1",
        encode: { payload, path in
            try Data(String(payload as! Int).utf8).write(to: URL(fileURLWithPath: path))
        },
        decode: { path in
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let value = Int(text) else { throw CodecError(message: "not a number: \(text)") }
            return value
        })
}

/// Builds resolved graphs in code: `node("s", "Add", ["a": .edge(...)])`.
struct GraphBuilder {
    let registry: NodeRegistry
    var nodes = OrderedDictionary<String, ResolvedNode>()

    mutating func add(_ id: String, _ type: String, _ inputs: [(String, Binding)]) {
        nodes[id] = ResolvedNode(
            id: id, schema: registry.schema(named: type)!, inputs: OrderedDictionary(uniqueKeysWithValues: inputs))
    }

    func graph(file: String = "/test/graph.yaml") -> ResolvedGraph {
        ResolvedGraph(file: file, nodes: nodes)
    }
}

func edge(_ node: String, _ output: String = "out") -> Binding { .edge(node: node, output: output) }
func int(_ v: Int) -> Binding { .literal(.int(v)) }

/// Collects events for assertions.
final class EventLog: EngineEventSink {
    let events = Mutex<[EngineEvent]>([])
    func handle(_ event: EngineEvent) { events.withLock { $0.append(event) } }

    var damaged: [String] {
        events.withLock { $0.compactMap { if case .damaged(let n, _) = $0 { n } else { nil } } }
    }
    var cutoffs: [String] {
        events.withLock { $0.compactMap { if case .finished(let n, _, _, true) = $0 { n } else { nil } } }
    }
    var cancelled: [String] {
        events.withLock { $0.compactMap { if case .cancelled(let n, _) = $0 { n } else { nil } } }
    }
}

/// A fresh cache directory under the temporary directory, removed by `cleanup()`.
struct TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("reelflow-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}
