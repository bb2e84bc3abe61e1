import Foundation
import OrderedCollections
import ReelflowGraph

extension RunState {
    /// Keys node `i` (all its input digests are known) and classifies it as a cache hit,
    /// a deferred memory-only node, or a node that must run.
    mutating func keyNode(_ i: Int, registry: NodeRegistry, events: any EngineEventSink) throws {
        let node = nodes[i]
        let components = try KeyComponents.make(
            for: node, settings: options.settings,
            digestOf: { states[indexOf[$0]!].digests![$1]! },
            fingerprint: { try fingerprints.fingerprint(of: $0, cache: options.cache) })
        states[i].components = components
        let key = components.key

        if node.schema.persistence == .memoryOnly || options.cache == nil {
            // Memory-only values are identified by their key: same key, same handle.
            states[i].digests = derivedDigests(node.schema, key: key)
            digestsKnown(i)
            if node.schema.persistence == .persisted || states[i].wanted || isTarget[i] {
                needsRun(i)
            } else {
                states[i].phase = .deferred
                events.handle(.cached(node: node.id, type: node.schema.name))
            }
            return
        }
        let cache = options.cache!
        var found = cache.lookup(key)
        if case .hit(let manifest) = found, let problem = LoadJob.problem(with: manifest, of: node, registry: registry) {
            found = .damaged(reason: "\(cache.manifestURL(key).path): \(problem)")
        }
        switch found {
        case .hit(let manifest):
            if node.schema.isOutput {
                // Output nodes are decoded now to check that what they wrote still stands.
                let job = LoadJob(node: node, key: key, cache: cache, registry: registry)
                guard let values = try? job.decode(manifest), registry.types[node.schema.name]!.isStillValid(values)
                else {
                    events.handle(.damaged(node: node.id, reason: "its output no longer exists; running it again"))
                    needsRun(i)
                    return
                }
                states[i].values = values
                reportOutputs(i, values, events: events)
            }
            cache.touch(key)
            states[i].digests = manifest.outputs.mapValues(\.digest)
            states[i].phase = .hit
            cached.append(node.id)
            recordLastRun(i)
            events.handle(.cached(node: node.id, type: node.schema.name))
            digestsKnown(i)
            for d in deps[i] { consumerFinished(d) }
            if states[i].wanted { requestLoad(i) }
        case .miss:
            needsRun(i)
        case .damaged(let reason):
            events.handle(.damaged(node: node.id, reason: reason))
            needsRun(i)
        }
    }

    /// Remembers this node's key parts and output digests for `reelflow explain` (saved
    /// once, when the run ends).
    mutating func recordLastRun(_ i: Int) {
        guard options.cache != nil, let components = states[i].components else { return }
        var record = components.components
        for (name, digest) in states[i].digests ?? [:] { record["output:\(name)"] = digest.hex }
        let entry = RunHistory.NodeRecord(components: record, key: components.key)
        guard history.nodes[nodes[i].id] != entry else { return }
        history.nodes[nodes[i].id] = entry
        historyChanged = true
    }

    /// Writes the run history if it changed; a failure only costs `explain` its reasons.
    func saveHistory() {
        guard historyChanged, let cache = options.cache else { return }
        var history = self.history
        history.recorded = Date()
        try? cache.saveRunHistory(history)
    }
}
