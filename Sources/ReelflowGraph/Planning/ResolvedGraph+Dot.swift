import Foundation
import OrderedCollections

extension ResolvedGraph {
    /// The graph in Graphviz's DOT language, for `reelflow graph --dot`: one box per node
    /// labelled with its id and type (and preset), one arrow per edge labelled
    /// `output -> input` (list items as `input[i]`, record fields as `input.field`).
    public func dot() -> String {
        var lines = ["digraph reelflow {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];",
                     "  edge [fontname=\"Helvetica\", fontsize=10];"]
        for node in nodes.values {
            var label = "\(node.id)\\n\(node.schema.name)"
            if let preset = node.preset { label += " (\(preset))" }
            let style = node.schema.isOutput ? ", style=bold" : ""
            lines.append("  \(Self.quote(node.id)) [label=\(Self.quote(label, escapeBackslash: false))\(style)];")
        }
        for node in nodes.values {
            for (input, binding) in node.inputs {
                for (from, output, place) in Self.edges(in: binding, place: input) {
                    lines.append("  \(Self.quote(from)) -> \(Self.quote(node.id)) [label=\(Self.quote("\(output) -> \(place)"))];")
                }
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func edges(in binding: Binding, place: String) -> [(String, String, String)] {
        switch binding {
        case .literal: []
        case .edge(let node, let output): [(node, output, place)]
        case .list(let items): items.enumerated().flatMap { edges(in: $1, place: "\(place)[\($0)]") }
        case .record(let fields): fields.flatMap { edges(in: $0.value, place: "\(place).\($0.key)") }
        }
    }

    private static func quote(_ text: String, escapeBackslash: Bool = true) -> String {
        var escaped = text
        if escapeBackslash { escaped = escaped.replacingOccurrences(of: "\\", with: "\\\\") }
        return "\"" + escaped.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
