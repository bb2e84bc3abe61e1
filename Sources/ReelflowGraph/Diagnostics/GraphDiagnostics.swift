/// One problem found while loading, validating or planning a graph.
///
/// Printed like Yams' own errors, with the node id after `error:` when there is one:
///
///     graphs/edit.yaml:12:11: error: stage1: unknown input 'sead'; did you mean 'seed'?
///         sead: 3
///         ^
public struct GraphDiagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Where the problem is; `nil` for problems outside any file (a bad `--set`).
    public var location: SourceLocation?
    /// The node the problem belongs to, if any.
    public var nodeID: String?
    public var message: String
    /// The source line the location points into (without its newline), for the caret.
    public var sourceLine: String?

    public init(location: SourceLocation?, nodeID: String? = nil, message: String,
                sourceLine: String? = nil) {
        self.location = location
        self.nodeID = nodeID
        self.message = message
        self.sourceLine = sourceLine
    }

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        text += "error: "
        if let nodeID { text += "\(nodeID): " }
        text += message
        if let sourceLine, let location {
            // Columns count Unicode scalars (as libyaml does); pad the caret the same way.
            let pad = sourceLine.unicodeScalars.prefix(max(0, location.column - 1))
                .map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n" + sourceLine + "\n" + pad + "^"
        }
        return text
    }
}

/// The error ReelflowGraph throws: every problem found, in the order found (file order
/// for per-node problems, cycles last), so a user fixes them all in one pass.
public struct GraphDiagnostics: Error, Hashable, Sendable, CustomStringConvertible {
    public var diagnostics: [GraphDiagnostic]

    public init(_ diagnostics: [GraphDiagnostic]) { self.diagnostics = diagnostics }

    public init(location: SourceLocation? = nil, nodeID: String? = nil, message: String) {
        self.diagnostics = [GraphDiagnostic(location: location, nodeID: nodeID, message: message)]
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// `diagnostics` in reading order: those without a place first (command-line problems),
    /// then by file (in order of first appearance), line and column; stable otherwise.
    func sortedByPlace() -> [GraphDiagnostic] {
        var fileRank: [String: Int] = [:]
        for case let location? in diagnostics.map(\.location) where fileRank[location.file] == nil {
            fileRank[location.file] = fileRank.count
        }
        return diagnostics.enumerated().sorted { left, right in
            let l = left.element.location, r = right.element.location
            let lKey = l.map { (1, fileRank[$0.file] ?? 0, $0.line, $0.column) } ?? (0, 0, 0, 0)
            let rKey = r.map { (1, fileRank[$0.file] ?? 0, $0.line, $0.column) } ?? (0, 0, 0, 0)
            return lKey != rKey ? lKey < rKey : left.offset < right.offset
        }.map(\.element)
    }
}
