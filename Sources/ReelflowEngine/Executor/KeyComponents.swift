import Foundation
import OrderedCollections
import ReelflowGraph

/// A node's cache key and its labelled parts, as `KeyBuilder` makes them.
///
/// Parts: `type`, `version`, then per input: `input:NAME` (the content digest of the upstream
/// output, for an input fed by one edge), `file:NAME` (the fingerprint of a file the node
/// reads) or `param:NAME` (canonical JSON of a literal; inside lists and records an edge
/// appears as `@<digest>` and a file as its fingerprint). Upstream settings never enter
/// directly, only upstream content: that gives early cutoff (Shake) and position
/// independence (ComfyUI). `explain` compares `components` with the last run's.
struct KeyComponents: Sendable {
    let key: Digest
    /// Label -> readable value (long values shortened to their digest by `KeyBuilder`).
    let components: [String: String]

    /// - Parameters:
    ///   - digestOf: the content digest of an upstream output (known for every edge here).
    ///   - fingerprint: the fingerprint of a file that must exist.
    static func make(
        for node: ResolvedNode,
        settings: [String: String],
        digestOf: (_ node: String, _ output: String) -> Digest,
        fingerprint: (_ path: String) throws -> FileFingerprint
    ) throws -> KeyComponents {
        var builder = KeyBuilder()
        builder.add("type", string: node.schema.name)
        builder.add("version", integer: node.schema.version)
        for (name, binding) in node.inputs {
            let type = node.schema.input(named: name)?.type
            switch binding {
            case .edge(let from, let output):
                builder.add("input:\(name)", digest: digestOf(from, output))
            case .literal(.path(let path)) where type == .path(mustExist: true):
                builder.add("file:\(name)", fingerprint: try fingerprint(path))
            default:
                var text = ""
                try canonical(binding, type: type, into: &text, digestOf: digestOf, fingerprint: fingerprint)
                builder.add("param:\(name)", string: text)
            }
        }
        for name in node.schema.settings.sorted() {
            if let value = settings[name] { builder.add("setting:\(name)", string: value) }
        }
        return KeyComponents(key: builder.finalize(), components: builder.components)
    }

    private static func canonical(
        _ binding: Binding, type: ValueType?, into out: inout String,
        digestOf: (String, String) -> Digest, fingerprint: (String) throws -> FileFingerprint
    ) throws {
        switch binding {
        case .edge(let node, let output):
            out += "\"@" + digestOf(node, output).hex + "\""
        case .literal(let value):
            try canonical(value, type: type, into: &out, fingerprint: fingerprint)
        case .list(let items):
            var element: ValueType?
            if case .list(let e)? = type { element = e }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                try canonical(item, type: element, into: &out, digestOf: digestOf, fingerprint: fingerprint)
            }
            out += "]"
        case .record(let fields):
            var specs: [InputSpec] = []
            if case .record(let s)? = type { specs = s }
            out += "{"
            for (i, (name, field)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += Value.string(name).canonicalJSON
                out += ":"
                let fieldType = specs.first { $0.name == name }?.type
                try canonical(field, type: fieldType, into: &out, digestOf: digestOf, fingerprint: fingerprint)
            }
            out += "}"
        }
    }
}

extension KeyComponents {
    /// A literal in canonical JSON, with every file that must exist entering as its
    /// fingerprint, however deep in lists and records it sits (a LoRA stack's paths are
    /// literals inside a list of records: their content is part of the key).
    fileprivate static func canonical(
        _ value: Value, type: ValueType?, into out: inout String, fingerprint: (String) throws -> FileFingerprint
    ) throws {
        switch (value, type) {
        case (.path(let path), .path(mustExist: true)?):
            out += Value.string(try fingerprint(path).keyMaterial).canonicalJSON
        case (.list(let items), .list(let element)?):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                try canonical(item, type: element, into: &out, fingerprint: fingerprint)
            }
            out += "]"
        case (.record(let fields), .record(let specs)?):
            out += "{"
            for (i, (name, field)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += Value.string(name).canonicalJSON + ":"
                try canonical(field, type: specs.first { $0.name == name }?.type, into: &out, fingerprint: fingerprint)
            }
            out += "}"
        default:
            out += value.canonicalJSON
        }
    }
}

/// The digest that stands for a memory-only output (or any output when the cache is off):
/// derived from the producing node's key, since the same key gives the same value.
func derivedDigest(key: Digest, output: String) -> Digest {
    Digest.of(string: "derived:\(key.hex):\(output)")
}

/// `derivedDigest` for every output of a node type.
func derivedDigests(_ schema: NodeSchema, key: Digest) -> [String: Digest] {
    var out: [String: Digest] = [:]
    for output in schema.outputs { out[output.name] = derivedDigest(key: key, output: output.name) }
    return out
}
