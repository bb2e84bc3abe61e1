import Foundation
import OrderedCollections
import ReelflowGraph

/// Loads a cached node's outputs (decoding each blob with its port's codec).
struct LoadJob: Sendable {
    let node: ResolvedNode
    let key: Digest
    let cache: CacheStore
    let registry: NodeRegistry

    /// The node's cached outputs, or `.damaged` with the reason when the entry cannot be
    /// used after all (a blob altered on disk, an entry gone): the run then recomputes it.
    func load(index: Int) -> RunState.WorkResult {
        switch cache.lookup(key) {
        case .hit(let manifest):
            do { return .loaded(node: index, outputs: try decode(manifest)) } catch {
                return .damaged(node: index, reason: String(describing: error))
            }
        case .damaged(let reason):
            return .damaged(node: index, reason: reason)
        case .miss:
            return .damaged(node: index, reason: "the entry vanished while the run used it (removed by another process?)")
        }
    }

    /// Whether `manifest` holds every output of the node in the encoding its codec reads.
    /// Nil when it does; otherwise what is wrong.
    static func problem(with manifest: CacheManifest, of node: ResolvedNode, registry: NodeRegistry) -> String? {
        for spec in node.schema.outputs {
            guard let record = manifest.outputs[spec.name] else {
                return "the entry \(manifest.key.short) has no output \"\(spec.name)\""
            }
            guard let codec = registry.codec(for: spec.type), record.encoding == codec.encodingName else {
                return "the entry \(manifest.key.short) stores \"\(spec.name)\" as \"\(record.encoding)\", "
                    + "not \"\(registry.codec(for: spec.type)?.encodingName ?? "?")\""
            }
        }
        return nil
    }

    func decode(_ manifest: CacheManifest) throws -> NodeOutputs {
        var outputs: NodeOutputs = [:]
        if let problem = Self.problem(with: manifest, of: node, registry: registry) {
            throw EngineError.cache(problem)
        }
        for spec in node.schema.outputs {
            let record = manifest.outputs[spec.name]!
            let codec = registry.codec(for: spec.type)!
            let url = try cache.verifiedBlobURL(record.blob)
            outputs[spec.name] = try codec.decode(url.path)
        }
        return outputs
    }
}

/// Runs one node, then stores its outputs in the cache (blobs first, manifest last, so a
/// failure or cancellation at any point leaves no entry).
struct RunJob: Sendable {
    /// The node's plan position, which the scheduler knows it by.
    let index: Int
    let node: ResolvedNode
    let type: NodeType
    let inputs: NodeInputs
    let key: Digest
    let components: KeyComponents
    let cache: CacheStore?
    /// `cache` without `fsync`, used for nodes that ran under `syncThreshold` seconds.
    let quickCache: CacheStore?
    let registry: NodeRegistry
    let graphFile: String
    let engineVersion: String
    let settings: [String: String]
    let events: any EngineEventSink

    func run() async throws -> RunState.WorkResult {
        let id = node.id
        let schema = node.schema
        let events = self.events
        let context = NodeContext(
            nodeID: id,
            progress: ProgressReporter { done, total, message in
                events.handle(.progress(node: id, completed: done, total: total, message: message))
            },
            settings: settings.filter { schema.settings.contains($0.key) })
        let start = ContinuousClock.now
        let outputs: NodeOutputs
        do {
            outputs = try await type.run(inputs, context)
            try Task.checkCancellation()
            for spec in schema.outputs where outputs[spec.name] == nil {
                throw CodecError(message: "the node returned no value for output \(spec.name)")
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            events.handle(.failed(node: id, type: schema.name, message: String(describing: error)))
            throw EngineError.nodeFailed(node: id, type: schema.name, message: String(describing: error))
        }
        let seconds = (ContinuousClock.now - start).seconds
        guard var cache, schema.persistence == .persisted else {
            return .ran(node: index, outputs: outputs, digests: derivedDigests(schema, key: key), seconds: seconds)
        }
        // A result recomputed in less time than an fsync costs is not worth syncing: after a
        // power loss it reads as damaged (sizes and digests are always checked) and reruns.
        if seconds < Self.syncThreshold, let quickCache { cache = quickCache }
        do {
            var records: [String: CacheOutput] = [:]
            for spec in schema.outputs {
                let codec = registry.codec(for: spec.type)!
                let payload = outputs[spec.name]!
                let blob = try cache.putBlob { url in try codec.encode(payload, url.path) }
                records[spec.name] = CacheOutput(blob, portType: spec.type.kindName, encoding: codec.encodingName)
            }
            try Task.checkCancellation()
            // An entry with no outputs would read as damaged; such a node simply reruns.
            if !records.isEmpty { try cache.commit(manifest(outputs: records, seconds: seconds)) }
            return .ran(node: index, outputs: outputs, digests: records.mapValues(\.digest), seconds: seconds)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let message = "could not store its result in the cache: \(error)"
            events.handle(.failed(node: id, type: schema.name, message: message))
            throw EngineError.nodeFailed(node: id, type: schema.name, message: message)
        }
    }

    static let syncThreshold = 1.0

    /// Provenance: params and file fingerprints as the key saw them, input digests by name.
    private func manifest(outputs: [String: CacheOutput], seconds: Double) -> CacheManifest {
        var params: [String: String] = [:]
        var inputs: [String: Digest] = [:]
        for (label, value) in components.components {
            if label.hasPrefix("input:"), let digest = Digest(hex: value) { inputs[String(label.dropFirst(6))] = digest }
            else if label.hasPrefix("param:") || label.hasPrefix("file:") { params[label] = value }
        }
        let paramsJSON = (try? JSONSerialization.data(withJSONObject: params, options: [.sortedKeys]))
            .flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        return CacheManifest(
            key: key, nodeID: node.id, nodeType: node.schema.name, nodeVersion: node.schema.version,
            params: paramsJSON, inputs: inputs, outputs: outputs, durationSeconds: seconds,
            engineVersion: engineVersion, graphFile: graphFile)
    }
}
