import Foundation
import OrderedCollections
import ReelflowGraph

extension RunState {
    /// Keys every waiting node whose input digests are all known, and classifies it as a
    /// cache hit, a deferred memory-only node, or a node that must run.
    mutating func keyReadyNodes(registry: NodeRegistry, events: any EngineEventSink) throws {
        for id in order where states[id]!.phase == .waiting {
            let node = graph.nodes[id]!
            guard node.dependencies.allSatisfy({ states[$0]!.digests != nil }) else { continue }
            let components = try KeyComponents.make(
                for: node,
                digestOf: { states[$0]!.digests![$1]! },
                fingerprint: { try fingerprints.fingerprint(of: $0, cache: options.cache) })
            let key = components.key
            states[id]!.components = components
            states[id]!.key = key
            classify(id, node: node, key: key, registry: registry, events: events)
        }
    }

    private mutating func classify(
        _ id: String, node: ResolvedNode, key: Digest, registry: NodeRegistry, events: any EngineEventSink
    ) {
        if node.schema.persistence == .memoryOnly || options.cache == nil {
            // Memory-only values are identified by their key: same key, same handle.
            states[id]!.digests = derivedDigests(node, key: key)
            states[id]!.phase = node.schema.persistence == .memoryOnly ? .deferred : .needsRun
            if states[id]!.phase == .deferred, !states[id]!.wanted {
                events.handle(.cached(node: id, type: node.schema.name))
            }
            return
        }
        let cache = options.cache!
        switch cache.lookup(key) {
        case .hit(let manifest):
            if node.schema.isOutput {
                // Output nodes are decoded now to check that what they wrote still stands.
                let job = LoadJob(node: node, key: key, cache: cache, registry: registry)
                guard let values = try? job.decode(manifest), registry.types[node.schema.name]!.isStillValid(values)
                else {
                    events.handle(.damaged(node: id, reason: "its output no longer exists; running it again"))
                    states[id]!.phase = .needsRun
                    return
                }
                states[id]!.values = values
                reportOutputs(id, values, events: events)
            }
            cache.touch(key)
            states[id]!.digests = manifest.outputs.mapValues(\.digest)
            states[id]!.phase = .hit
            cached.append(id)
            recordLastRun(id)
            events.handle(.cached(node: id, type: node.schema.name))
            markFinal(id)
        case .miss:
            states[id]!.phase = .needsRun
        case .damaged(let reason):
            events.handle(.damaged(node: id, reason: reason))
            states[id]!.phase = .needsRun
        }
    }

    /// A hit never needs its inputs' values: count it as a final consumer of each input.
    private mutating func markFinal(_ id: String) {
        for dep in graph.nodes[id]!.dependencies {
            states[dep]!.pendingConsumers -= 1
        }
    }

    func derivedDigests(_ node: ResolvedNode, key: Digest) -> [String: Digest] {
        var out: [String: Digest] = [:]
        for output in node.schema.outputs { out[output.name] = derivedDigest(key: key, output: output.name) }
        return out
    }

    /// Remembers this node's key parts and output digests for `reelflow explain`.
    func recordLastRun(_ id: String) {
        guard let cache = options.cache, let st = states[id], let components = st.components else { return }
        var record = components.components
        for (name, digest) in st.digests ?? [:] { record["output:\(name)"] = digest.hex }
        // Unchanged records are not rewritten: a cached rerun then costs reads only.
        guard cache.lastRun(graph: graph.file, node: id) != record else { return }
        try? cache.recordLastRun(graph: graph.file, node: id, components: record, key: components.key)
    }
}
