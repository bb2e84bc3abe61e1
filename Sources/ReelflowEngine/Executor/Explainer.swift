import Foundation
import OrderedCollections
import ReelflowGraph

/// What `reelflow explain` says about one node.
public struct NodeExplanation: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// The cache holds its result: it will not run.
        case cached
        /// It will run; `reasons` says what changed since its last run.
        case willRun = "will run"
        /// An input comes from a node that will run: it runs unless that node reproduces
        /// its previous output (early cutoff).
        case dependsOnRerun = "runs unless upstream output is unchanged"
        /// A memory-only node (model handle): it runs only if a node that runs needs it.
        case memoryOnly = "memory-only"
    }

    public var node: String
    public var type: String
    public var status: Status
    public var reasons: [String]
}

extension Executor {
    /// Says, per needed node and without running anything, whether it is cached or will
    /// run, and for each rerun which input changed since the last run.
    public func explain(_ options: RunOptions) throws -> [NodeExplanation] {
        let targets = options.targets.isEmpty ? graph.defaultTargets : options.targets
        let order = try graph.plan(targets: targets)
        var digests: [String: [String: Digest]] = [:]
        var result: [NodeExplanation] = []
        let memo = FingerprintMemo()
        let history = options.cache?.runHistory(graph: graph.file)
        for id in order {
            let node = graph.nodes[id]!
            let schema = node.schema
            let unknown = node.dependencies.filter { digests[$0] == nil }
            guard unknown.isEmpty else {
                result.append(NodeExplanation(
                    node: id, type: schema.name, status: .dependsOnRerun,
                    reasons: unknown.map { "input from \($0), which will run" }))
                continue
            }
            let components = try KeyComponents.make(
                for: node, settings: options.settings, digestOf: { digests[$0]![$1]! },
                fingerprint: { try memo.fingerprint(of: $0, cache: options.cache) })
            let key = components.key
            if schema.persistence == .memoryOnly {
                digests[id] = derivedDigests(schema, key: key)
                result.append(NodeExplanation(node: id, type: schema.name, status: .memoryOnly, reasons: []))
                continue
            }
            if let cache = options.cache, case .hit(let manifest) = cache.lookup(key) {
                if schema.isOutput, !outputStillStands(node, key: key, manifest: manifest, cache: cache) {
                    result.append(NodeExplanation(
                        node: id, type: schema.name, status: .willRun,
                        reasons: ["its cached result stands, but what it wrote is gone"]))
                    continue
                }
                digests[id] = manifest.outputs.mapValues(\.digest)
                result.append(NodeExplanation(node: id, type: schema.name, status: .cached, reasons: []))
                continue
            }
            let previous = history?.components(of: id)
            result.append(NodeExplanation(
                node: id, type: schema.name, status: .willRun,
                reasons: Self.reasons(now: components.components, before: previous, noCache: options.cache == nil)))
        }
        return result
    }

    /// Whether an output node's cached result still stands (e.g. the file it wrote exists).
    private func outputStillStands(_ node: ResolvedNode, key: Digest, manifest: CacheManifest, cache: CacheStore) -> Bool {
        let job = LoadJob(node: node, key: key, cache: cache, registry: registry)
        guard let values = try? job.decode(manifest) else { return false }
        return registry.types[node.schema.name]!.isStillValid(values)
    }

    static func reasons(now: [String: String], before: [String: String]?, noCache: Bool) -> [String] {
        if noCache { return ["the cache is off"] }
        guard let before else { return ["no earlier run of this node is recorded"] }
        var reasons: [String] = []
        if now["type"] != before["type"] { reasons.append("node type changed") }
        if now["version"] != before["version"] {
            reasons.append("node version changed: \(before["version"] ?? "?") -> \(now["version"] ?? "?")")
        }
        let inputLabels = Set(now.keys).union(before.keys).filter {
            $0.hasPrefix("input:") || $0.hasPrefix("param:") || $0.hasPrefix("file:")
        }
        let byName = Dictionary(grouping: inputLabels) { String($0[$0.index(after: $0.firstIndex(of: ":")!)...]) }
        for name in byName.keys.sorted() {
            let labels = byName[name]!
            guard labels.contains(where: { now[$0] != before[$0] }) else { continue }
            let old = labels.first { before[$0] != nil }
            let new = labels.first { now[$0] != nil }
            switch (old, new) {
            case (nil, _): reasons.append("input \(name) is new")
            case (_, nil): reasons.append("input \(name) was removed")
            case (let o?, let n?) where n.hasPrefix("input:") && o == n:
                reasons.append("input \(name) changed: the upstream output has new content")
            case (_, let n?) where n.hasPrefix("file:"):
                reasons.append("input \(name) changed: the file changed (now \(now[n]!))")
            case (let o?, let n?) where n.hasPrefix("param:") && o == n:
                reasons.append("input \(name) changed: \(Self.short(before[o]!)) -> \(Self.short(now[n]!))")
            default:
                reasons.append("input \(name) changed")
            }
        }
        let settings = Set(now.keys).union(before.keys).filter { $0.hasPrefix("setting:") }
        for label in settings.sorted() where now[label] != before[label] {
            let name = label.dropFirst("setting:".count)
            reasons.append("run setting \(name): \(before[label] ?? "not given") -> \(now[label] ?? "not given")")
        }
        if reasons.isEmpty { reasons.append("same inputs as the last run, but its cache entry is gone (evicted or cleared)") }
        return reasons
    }

    private static func short(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }
}
