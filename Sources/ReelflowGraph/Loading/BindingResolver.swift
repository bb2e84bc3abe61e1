import Foundation
import OrderedCollections
import Yams

/// A graph param as declared (or overridden), typed by its YAML literal.
struct ParamValue {
    var name: String
    var scalar: YAMLScalar
    /// The text as written, for STRING inputs given a number.
    var text: String
    var mark: TextMark?
    /// The `--set name=value` text when overridden.
    var override: String?

    var value: Value {
        switch scalar {
        case .int(let value): .int(value)
        case .float(let value): .float(value)
        case .bool(let value): .bool(value)
        case .string(let value): .string(value)
        case .null: .string("")
        }
    }
}

/// Where the value being resolved is written, and what it may contain.
struct ResolutionSite {
    var file: YAMLFile
    var nodeID: String
    /// The node's position in the file (indexes `BindingResolver.edges`).
    var nodeIndex: Int
    /// Relative paths resolve against this directory (the graph's or the preset's).
    var baseDirectory: String
    /// Graph files may hold `$param` and `$node.output`; presets hold literals only.
    var allowsReferences: Bool
}

/// An edge found while resolving, kept with its place in the file for cycle messages.
struct EdgeReference {
    /// The position of the node read from.
    var from: Int
    var mark: TextMark?
    var file: YAMLFile
}

/// Turns the YAML node of one input into a `Binding` typed by the input's `ValueType`,
/// recording a diagnostic (and returning `nil`) for every value that does not fit.
final class BindingResolver {
    let params: [String: ParamValue]
    /// Per node position, its schema when known.
    let schemas: [NodeSchema?]
    let nodeIndex: [String: Int]
    /// The graph file's directory: `$param` paths are always graph-relative.
    let graphDirectory: String
    var diagnostics: [GraphDiagnostic] = []
    /// Per node position, the edges it reads (for cycle detection).
    var edges: [[EdgeReference]]

    init(params: [String: ParamValue], schemas: [NodeSchema?], nodeIndex: [String: Int],
         graphDirectory: String) {
        self.params = params
        self.schemas = schemas
        self.nodeIndex = nodeIndex
        self.edges = Array(repeating: [], count: schemas.count)
        self.graphDirectory = graphDirectory
    }

    func fail(_ site: ResolutionSite, _ mark: TextMark?, _ message: String) {
        diagnostics.append(site.file.diagnostic(at: mark, node: site.nodeID, message: message))
    }

    /// Resolves `node` as a value of `type`; `label` names it in messages (`stage1.loras[0].path`).
    func resolve(_ node: YAMLNode, as type: ValueType, label: @autoclosure () -> String, at site: ResolutionSite) -> Binding? {
        switch node {
        case .scalar(let scalar):
            let text = site.file.string(of: scalar)
            if text.hasPrefix("$$") {
                return literal(.string(String(text.dropFirst())), text: String(text.dropFirst()), as: type,
                               label: label(), mark: scalar.mark, at: site).map(Binding.literal)
            }
            if text.hasPrefix("$") {
                return reference(text, as: type, label: label(), mark: scalar.mark, at: site)
            }
            return literal(YAMLScalar(scalar, text: text), text: text, as: type, label: label(),
                           mark: scalar.mark, at: site).map(Binding.literal)
        case .sequence(let sequence):
            guard case .list(let element) = type else {
                fail(site, node.mark, "\(label()) expects \(type), got a list")
                return nil
            }
            var items: [Binding] = []
            var ok = true
            for (index, item) in sequence.enumerated() {
                if let binding = resolve(item, as: element, label: "\(label())[\(index)]", at: site) {
                    items.append(binding)
                } else {
                    ok = false
                }
            }
            return ok ? Self.collapse(list: items) : nil
        case .mapping:
            guard case .record(let fields) = type else {
                fail(site, node.mark, "\(label()) expects \(type), got a mapping")
                return nil
            }
            return record(node, fields: fields, label: label(), at: site)
        }
    }

    private func record(_ node: YAMLNode, fields: [InputSpec], label: @autoclosure () -> String, at site: ResolutionSite) -> Binding? {
        guard let entries = GraphDocument.mapping(node, file: site.file, what: label(), node: site.nodeID,
                                                  into: &diagnostics) else { return nil }
        var given: [String: Binding] = [:]
        var ok = true
        for entry in entries {
            guard let spec = fields.first(where: { $0.name == entry.key }) else {
                fail(site, entry.keyMark, "unknown field '\(entry.key)' in \(label())"
                     + Suggestions.didYouMean(entry.key, in: fields.map(\.name))
                     + " (fields: \(fields.map(\.name).joined(separator: ", ")))")
                ok = false
                continue
            }
            if let binding = resolve(entry.value, as: spec.type, label: "\(label()).\(entry.key)", at: site) {
                given[entry.key] = binding
            } else {
                ok = false
            }
        }
        var result: [(String, Binding)] = []
        for spec in fields {
            if let binding = given[spec.name] {
                result.append((spec.name, binding))
            } else if let value = spec.defaultValue {
                result.append((spec.name, .literal(value)))
            } else if !spec.optional {
                // A field that was written but failed to resolve has its own error already.
                if !entries.contains(where: { $0.key == spec.name }) {
                    fail(site, node.mark, "\(label()) is missing required field '\(spec.name)' (\(spec.type))")
                }
                ok = false
            }
        }
        return ok ? Self.collapse(record: result) : nil
    }

    /// A list or record of literals becomes one literal value, so the engine sees
    /// `.literal(.list(...))` unless an edge is inside.
    static func collapse(list items: [Binding]) -> Binding {
        var values: [Value] = []
        for item in items {
            guard case .literal(let value) = item else { return .list(items) }
            values.append(value)
        }
        return .literal(.list(values))
    }

    static func collapse(record fields: [(String, Binding)]) -> Binding {
        var values: [(String, Value)] = []
        for (name, field) in fields {
            guard case .literal(let value) = field else {
                return .record(.init(uniqueKeysWithValues: fields))
            }
            values.append((name, value))
        }
        return .literal(.record(.init(uniqueKeysWithValues: values)))
    }
}
