import Yams

/// A key of a YAML mapping with where it is written.
struct KeyedNode {
    var key: String
    var keyMark: TextMark?
    var value: YAMLNode
}

/// One entry under `nodes:` as written: its id, `type:` or `preset:`, and its other keys.
struct NodeDeclaration {
    var id: String
    var idMark: TextMark?
    var type: (name: String, mark: TextMark?)?
    var preset: (name: String, mark: TextMark?)?
    /// Every key other than `type` and `preset`, in file order.
    var inputs: [KeyedNode]
    /// Every key including `type` and `preset`, in file order (for the formatter).
    var entries: [KeyedNode]
}

/// A graph file's structure as written, before presets, params and schemas are applied.
/// The loader resolves it; the formatter rewrites it.
struct GraphDocument {
    static let topLevelKeys = ["reelflow", "description", "params", "nodes"]
    static let formatVersion = 1

    var file: YAMLFile
    var description: YAMLNode?
    /// The top-level entries as written (for the formatter).
    var sections: [KeyedNode] = []
    var params: [KeyedNode] = []
    var nodes: [NodeDeclaration] = []

    /// Splits a composed graph file into its parts, collecting every shape problem.
    init(file: YAMLFile, diagnostics: inout [GraphDiagnostic]) {
        self.file = file
        guard let root = file.root else {
            diagnostics.append(file.diagnostic(at: nil, message: "the file is empty; a graph starts with `reelflow: 1`"))
            return
        }
        guard let top = Self.mapping(root, file: file, what: "a graph file", into: &diagnostics) else { return }
        var version: KeyedNode?
        sections = top
        for entry in top {
            switch entry.key {
            case "reelflow": version = entry
            case "description": description = entry.value
            case "params":
                params = Self.mapping(entry.value, file: file, what: "`params`", into: &diagnostics) ?? []
            case "nodes":
                let entries = Self.mapping(entry.value, file: file, what: "`nodes`", into: &diagnostics) ?? []
                nodes = entries.compactMap { Self.node($0, file: file, into: &diagnostics) }
            default:
                diagnostics.append(file.diagnostic(
                    at: entry.keyMark,
                    message: "unknown top-level key '\(entry.key)'"
                        + Suggestions.didYouMean(entry.key, in: Self.topLevelKeys)
                        + " (expected reelflow, description, params, nodes)"))
            }
        }
        checkVersion(version, root: root, into: &diagnostics)
    }

    private func checkVersion(_ version: KeyedNode?, root: YAMLNode, into diagnostics: inout [GraphDiagnostic]) {
        guard let version else {
            diagnostics.append(file.diagnostic(at: root.mark, message: "missing `reelflow: 1` (the format version)"))
            return
        }
        if case .scalar(let scalar) = version.value,
           YAMLScalar(scalar, text: file.string(of: scalar)) == .int(Self.formatVersion) { return }
        diagnostics.append(file.diagnostic(
            at: version.value.mark,
            message: "unsupported format version \(Self.describe(version.value, file: file)); this reelflow reads `reelflow: 1`"))
    }

    private static func node(_ entry: KeyedNode, file: YAMLFile,
                             into diagnostics: inout [GraphDiagnostic]) -> NodeDeclaration? {
        guard let entries = mapping(entry.value, file: file, what: "node '\(entry.key)'", node: entry.key,
                                    into: &diagnostics) else { return nil }
        // `$a.text` must mean one thing: output `text` of node `a`, never node `a.text`.
        if let bad = entry.key.first(where: { $0 == "." || $0 == "$" }) {
            diagnostics.append(file.diagnostic(at: entry.keyMark, node: entry.key,
                                               message: "node id '\(entry.key)' contains '\(bad)'; ids may not contain '.' or '$' (they would make references ambiguous)"))
            return nil
        }
        var declaration = NodeDeclaration(id: entry.key, idMark: entry.keyMark, inputs: [], entries: entries)
        for item in entries {
            switch item.key {
            case "type", "preset":
                guard case .scalar(let scalar) = item.value, case .string(let name) = YAMLScalar(scalar, text: file.string(of: scalar)) else {
                    diagnostics.append(file.diagnostic(at: item.value.mark, node: entry.key,
                                                       message: "`\(item.key)` must be a name, got \(describe(item.value, file: file))"))
                    return nil
                }
                if item.key == "type" { declaration.type = (name, item.value.mark) } else { declaration.preset = (name, item.value.mark) }
            default:
                declaration.inputs.append(item)
            }
        }
        switch (declaration.type, declaration.preset) {
        case (nil, nil):
            diagnostics.append(file.diagnostic(at: entry.keyMark, node: entry.key,
                                               message: "a node needs `type: NAME` or `preset: NAME`"))
            return nil
        case (_?, let preset?):
            diagnostics.append(file.diagnostic(at: preset.mark, node: entry.key,
                                               message: "a node has `type:` or `preset:`, not both (a preset sets the type)"))
            return nil
        default:
            return declaration
        }
    }

    /// The pairs of a mapping node with string keys, reporting duplicate keys at their
    /// second occurrence and anything that is not a mapping.
    static func mapping(_ node: YAMLNode, file: YAMLFile, what: @autoclosure () -> String, node nodeID: String? = nil,
                       into diagnostics: inout [GraphDiagnostic]) -> [KeyedNode]? {
        guard case .mapping(let mapping) = node else {
            diagnostics.append(file.diagnostic(at: node.mark, node: nodeID,
                                               message: "\(what()) must be a mapping of `key: value` lines, got \(describe(node, file: file))"))
            return nil
        }
        var result: [KeyedNode] = []
        result.reserveCapacity(mapping.count)
        // Duplicates only exist when Yams refused them and YAMLFile renamed one (see there).
        let mayHaveDuplicates = file.hasRenamedKeys
        var seen: [String: TextMark?] = [:]
        for pair in mapping {
            let key = pair.key
            guard case .scalar(let scalar) = key else {
                diagnostics.append(file.diagnostic(at: key.mark, node: nodeID, message: "keys in \(what()) must be plain names"))
                continue
            }
            let name = file.string(of: scalar)
            if mayHaveDuplicates, let first = seen[name] {
                let what = what()
                let label = what == "`nodes`" ? "node id" : what == "`params`" ? "param" : "key"
                let firstText = file.location(first).map { " (first at \($0))" } ?? ""
                diagnostics.append(file.diagnostic(at: key.mark, node: what == "`nodes`" ? name : nodeID,
                                                   message: "duplicate \(label) '\(name)'\(firstText)"))
                continue
            }
            if mayHaveDuplicates { seen[name] = key.mark }
            result.append(KeyedNode(key: name, keyMark: scalar.mark, value: pair.value))
        }
        return result
    }

    /// A short description of a node for "got ..." in messages.
    static func describe(_ node: YAMLNode, file: YAMLFile) -> String {
        switch node {
        case .scalar(let scalar):
            switch YAMLScalar(scalar, text: file.string(of: scalar)) {
            case .null: "nothing"
            case .string(let text): "STRING '\(text)'"
            case .int(let value): "INT \(value)"
            case .float(let value): "FLOAT \(value)"
            case .bool(let value): "BOOL \(value)"
            }
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}
