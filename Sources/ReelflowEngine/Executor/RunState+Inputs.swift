import Foundation
import OrderedCollections
import ReelflowGraph

extension RunState {
    /// The inputs of `id`, with each edge replaced by the upstream value (in memory by now).
    func assembleInputs(_ i: Int) -> NodeInputs {
        let node = nodes[i]
        var values = OrderedDictionary<String, InputValue>()
        for (name, binding) in node.inputs { values[name] = resolve(binding) }
        return NodeInputs(values)
    }

    private func resolve(_ binding: Binding) -> InputValue {
        switch binding {
        case .literal(let value): return .literal(value)
        case .edge(let node, let output):
            let type = graph.nodes[node]!.schema.output(named: output)!.type.kindName
            return .port(PortValue(type: type, payload: states[indexOf[node]!].values![output]!))
        case .list(let items): return .list(items.map(resolve))
        case .record(let fields): return .record(fields.mapValues(resolve))
        }
    }
}

/// File fingerprints already computed in this run, by path (a file read by several nodes
/// is fingerprinted once).
final class FingerprintMemo {
    private var known: [String: FileFingerprint] = [:]
    private var fingerprinter: FileFingerprinter?

    func fingerprint(of path: String, cache: CacheStore?) throws -> FileFingerprint {
        if let fingerprint = known[path] { return fingerprint }
        if fingerprinter == nil { fingerprinter = cache?.fingerprinter() ?? FileFingerprinter() }
        let fingerprint = try fingerprinter!.fingerprint(of: URL(fileURLWithPath: path))
        known[path] = fingerprint
        return fingerprint
    }
}
