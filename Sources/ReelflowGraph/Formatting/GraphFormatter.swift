import Foundation
import Yams

/// Rewrites a graph file canonically, for `reelflow fmt`: the file as written (not
/// resolved: params, presets and references stay as they are), with
/// - top-level keys in the order `reelflow`, `description`, `params`, `nodes`, a blank line
///   before `params` and `nodes` and between nodes;
/// - in each node `type` or `preset` first, then the inputs in the schema's order when the
///   type is known (unknown keys after, in file order), record fields in schema order;
/// - two-space indents, nodes and mappings in block style, lists of scalars and short
///   records inside lists in flow style (`[1, 2]`, `- {path: a, strength: 1.0}`) when the
///   line stays within 100 columns;
/// - strings plain when that reads back the same, double-quoted otherwise, multi-line text
///   as a `|` block; booleans as `true`/`false`; numbers as written;
/// - comments kept, each beside the key or list item it was written with (see
///   `CommentMap`); comments above the first key stay at the top of the file.
///
/// Formatting is idempotent and the result loads to the same graph.
public struct GraphFormatter: Sendable {
    static let lineWidth = 100

    /// YAMLNode schemas for input order; without them (or for unknown types) file order stays.
    public var schemas: (any SchemaProvider)?
    public var presetDirectories: [String]
    public var environment: [String: String]

    public init(schemas: (any SchemaProvider)? = nil, presetDirectories: [String] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.schemas = schemas
        self.presetDirectories = presetDirectories
        self.environment = environment
    }

    /// The canonical text of the graph file at `path`.
    /// - Throws: `GraphDiagnostics` when the file is not YAML or not shaped like a graph
    ///   (the same structural errors `GraphLoader` reports; types are not checked).
    public func format(file path: String) throws(GraphDiagnostics) -> String {
        try format(YAMLFile.read(path: path))
    }

    /// The canonical text of `yaml`, read as if from `path` (which locates presets).
    public func format(yaml: String, path: String) throws(GraphDiagnostics) -> String {
        let directory = URL(fileURLWithPath: PresetSearchPath.absolute(path)).deletingLastPathComponent().path
        return try format(YAMLFile(text: yaml, path: path, directory: directory))
    }

    private func format(_ file: YAMLFile) throws(GraphDiagnostics) -> String {
        var diagnostics: [GraphDiagnostic] = []
        let document = GraphDocument(file: file, diagnostics: &diagnostics)
        guard diagnostics.isEmpty, let root = file.root else {
            throw GraphDiagnostics(GraphDiagnostics(diagnostics).sortedByPlace())
        }
        var anchors = Set<Int>(), blockLines = Set<Int>()
        CommentMap.scan(root, lines: file.lines, anchors: &anchors, blockScalarLines: &blockLines)
        var writer = YAMLWriter(file: file, comments: CommentMap(lines: file.lines, anchors: anchors,
                                                                 blockScalarLines: blockLines))
        let library = PresetLibrary(searchPath: PresetSearchPath(
            graphFile: file.directory + "/graph.yaml", presetDirectories: presetDirectories, environment: environment))
        // Comments above the first key head the file, wherever that key moves.
        writer.header(firstLine: anchors.min())
        let order = GraphDocument.topLevelKeys
        for section in document.sections.sorted(by: { order.firstIndex(of: $0.key)! < order.firstIndex(of: $1.key)! }) {
            switch section.key {
            case "params", "nodes":
                writer.blankLine()
                guard case .mapping(let mapping) = section.value, !mapping.isEmpty else {
                    writer.entry(section, indent: 0, type: nil)
                    continue
                }
                writer.keyLine(section, indent: 0)
                if section.key == "params" {
                    for param in document.params { writer.entry(param, indent: 2, type: nil) }
                } else {
                    for (index, node) in document.nodes.enumerated() {
                        if index > 0 { writer.blankLine() }
                        writer.keyLine(KeyedNode(key: node.id, keyMark: node.idMark, value: section.value), indent: 2)
                        for (entry, type) in orderedEntries(of: node, library: library) {
                            writer.entry(entry, indent: 4, type: type)
                        }
                    }
                }
            default:
                writer.entry(section, indent: 0, type: nil)
            }
        }
        writer.finish()
        return writer.text
    }

    /// `type`/`preset` first, then the inputs in schema order, unknown keys last.
    private func orderedEntries(of node: NodeDeclaration, library: PresetLibrary) -> [(KeyedNode, ValueType?)] {
        let typeName = node.type?.name ?? node.preset.flatMap { try? library.info(named: $0.name)?.type }
        let schema = typeName.flatMap { schemas?.schema(named: $0) }
        let head = node.entries.filter { $0.key == "type" || $0.key == "preset" }.map { ($0, ValueType?.none) }
        let inputs = node.entries.filter { $0.key != "type" && $0.key != "preset" }
        guard let schema else { return head + inputs.map { ($0, nil) } }
        let known = schema.inputs.compactMap { spec in inputs.first { $0.key == spec.name }.map { ($0, Optional(spec.type)) } }
        let unknown = inputs.filter { schema.input(named: $0.key) == nil }.map { ($0, ValueType?.none) }
        return head + known + unknown
    }
}
