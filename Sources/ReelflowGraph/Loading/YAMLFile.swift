import Foundation
import Yams

/// A YAML file composed into nodes with their marks, plus what messages need: the path to
/// print and the source lines for the caret.
///
/// Yams (libyaml) composes every file, in whatever YAML 1.1 style it is written, and reports
/// syntax errors. A leading byte-order mark is skipped; nesting and alias expansion are
/// bounded (`YAMLNode.Limits`), so a hostile file fails with a message instead of exhausting
/// memory or the stack.
///
/// Yams refuses a mapping with duplicate keys and points only at the first one; Reelflow
/// wants to report a duplicate node id (or input) at its second occurrence, next to every
/// other problem. So on that refusal the first occurrence is renamed in a private copy of
/// the text to a same-length private-use placeholder (columns stay put), composing is
/// retried, and `string(of:)` maps placeholders back: callers then see every pair.
struct YAMLFile {
    /// The path as given (for messages).
    let path: String
    /// The absolute directory holding the file: the base of its relative paths.
    let directory: String
    private(set) var root: YAMLNode? = nil
    /// The source lines, split on first use (only messages and the formatter need them).
    var lines: [Substring] { lineIndex.lines }
    private let lineIndex: LineIndex
    private var placeholders: [String: String] = [:]

    /// Reads and composes a file.
    static func read(path: String) throws(GraphDiagnostics) -> YAMLFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw GraphDiagnostics(message: "no such file: \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GraphDiagnostics(message: "cannot read \(path)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw GraphDiagnostics(message: "\(path) is not UTF-8 text")
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        return try YAMLFile(text: text, path: path, directory: absolute.deletingLastPathComponent().path)
    }

    init(text: String, path: String, directory: String) throws(GraphDiagnostics) {
        self.path = path
        self.directory = directory
        // A UTF-8 byte-order mark (common Windows editors write one) is not part of the text.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.unicodeScalars.dropFirst()) : text
        self.lineIndex = LineIndex(text: text)
        if let mark = YAMLNode.flowDepthExceeding(YAMLNode.Limits.depth, in: text) {
            throw GraphDiagnostics([diagnostic(at: mark, message:
                "collections are nested more than \(YAMLNode.Limits.depth) levels deep (the limit for a graph file)")])
        }
        var source = text
        var renamed: [String: String] = [:]
        while true {
            do {
                let composed = try Yams.compose(yaml: source, .basic)
                do throws(YAMLNode.LimitExceeded) {
                    root = try composed.map(YAMLNode.converting)
                } catch {
                    throw GraphDiagnostics([limitDiagnostic(error, source: source)])
                }
                break
            } catch let error as GraphDiagnostics {
                throw error
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                guard renamed.count < 10_000, let key = duplicates.sorted().first,
                      let (edited, placeholder) = Self.rename(key: key, at: context.mark, in: source,
                                                              serial: renamed.count)
                else {
                    throw GraphDiagnostics([diagnostic(at: TextMark(context.mark),
                                                       message: "duplicate key '\(duplicates.sorted().first ?? "")'")])
                }
                renamed[placeholder] = key
                source = edited
            } catch {
                throw GraphDiagnostics([syntaxDiagnostic(error)])
            }
        }
        placeholders = renamed
    }

    // MARK: Reading nodes

    /// Whether Yams refused duplicate keys and some were renamed (only then can a mapping
    /// hold two equal keys).
    var hasRenamedKeys: Bool { !placeholders.isEmpty }

    /// A scalar's text, with renamed duplicate keys mapped back to what the file says.
    func string(of scalar: YAMLNode.Scalar) -> String {
        placeholders.isEmpty ? scalar.string : placeholders[scalar.string] ?? scalar.string
    }

    func location(_ mark: TextMark?) -> SourceLocation? {
        mark.map { SourceLocation(file: path, line: $0.line, column: $0.column) }
    }

    func diagnostic(at mark: TextMark?, node: String? = nil, message: String) -> GraphDiagnostic {
        diagnostic(line: mark?.line, column: mark?.column ?? 1, node: node, message: message)
    }

    func diagnostic(line number: Int?, column: Int, node: String? = nil, message: String) -> GraphDiagnostic {
        let line = number.flatMap { $0 >= 1 && $0 <= lines.count ? String(lines[$0 - 1]) : nil }
        let location = number.map { SourceLocation(file: path, line: $0, column: column) }
        return GraphDiagnostic(location: location, nodeID: node, message: message,
                               sourceLine: line.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 })
    }

    // MARK: Private

    private func limitDiagnostic(_ error: YAMLNode.LimitExceeded, source: String) -> GraphDiagnostic {
        switch error {
        case .tooDeep(let mark):
            return diagnostic(at: mark, message:
                "collections are nested more than \(YAMLNode.Limits.depth) levels deep (the limit for a graph file)")
        case .tooManyNodes(let anchor):
            let digits = Array(String(YAMLNode.Limits.nodes))
            let limit = String(digits.enumerated().flatMap { i, d in (digits.count - i) % 3 == 0 && i > 0 ? [",", d] : [d] })
            let name = anchor.flatMap { Self.anchorName(at: $0, in: lines) }
            let what = name.map { "alias *\($0)" } ?? "aliases"
            return diagnostic(at: anchor, message:
                "\(what) expands the file past \(limit) nodes (the limit for a graph file); "
                + "aliases are copied in full, so anchors aliasing each other grow exponentially")
        }
    }

    /// The anchor name written at `mark` (`&name`), where an aliased node starts.
    private static func anchorName(at mark: TextMark, in lines: [Substring]) -> String? {
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        var i = mark.column - 1
        guard i >= 0, i < scalars.count, scalars[i] == "&" else { return nil }
        i += 1
        var name = String.UnicodeScalarView()
        while i < scalars.count, !" \t\r,[]{}".unicodeScalars.contains(scalars[i]) {
            name.append(scalars[i]); i += 1
        }
        return name.isEmpty ? nil : String(name)
    }

    private func syntaxDiagnostic(_ error: any Error) -> GraphDiagnostic {
        guard let error = error as? YamlError else {
            return GraphDiagnostic(location: nil, message: "\(path): \(Self.reason(error))")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at \($0.mark))" } ?? ""
            return diagnostic(at: TextMark(mark), message: "invalid YAML: \(problem)\(during)")
        case let .reader(problem, offset, _, yaml):
            let prefix = yaml.utf8.prefix(offset ?? 0)
            let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let column = (String(decoding: prefix, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .last?.unicodeScalars.count ?? 0) + 1
            return diagnostic(line: line, column: column, message: "invalid YAML: \(problem)")
        default:
            return GraphDiagnostic(location: nil, message: "\(path): invalid YAML: \(error)")
        }
    }

    /// Replaces the key starting at `mark` (plain or quoted) by a placeholder of the same
    /// number of Unicode scalars, so every later mark keeps its line and column.
    private static func rename(key: String, at mark: Mark, in source: String,
                               serial: Int) -> (String, String)? {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        var line = lines[mark.line - 1]
        var start = mark.column - 1
        if start < line.count, line[start] == "\"" || line[start] == "'" { start += 1 }
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty, start + keyScalars.count <= line.count,
              Array(line[start..<start + keyScalars.count]) == keyScalars else { return nil }
        // Private-use scalars U+E000...U+F8FF, `serial` written in base 6400.
        var digits: [Unicode.Scalar] = []
        var rest = serial
        for _ in keyScalars {
            digits.append(Unicode.Scalar(0xE000 + UInt32(rest % 6400))!)
            rest /= 6400
        }
        guard rest == 0 else { return nil }
        line.replaceSubrange(start..<start + keyScalars.count, with: digits)
        lines[mark.line - 1] = line
        var scalars = String.UnicodeScalarView()
        for (index, line) in lines.enumerated() {
            if index > 0 { scalars.append("\n") }
            scalars.append(contentsOf: line)
        }
        var placeholder = String.UnicodeScalarView()
        placeholder.append(contentsOf: digits)
        return (String(scalars), String(placeholder))
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}

/// Splits a text into lines once, when first asked. A class so that copies of a
/// `YAMLFile` share the work; not Sendable (nor is `YAMLFile`, which holds Yams nodes).
private final class LineIndex {
    private let text: String
    private(set) lazy var lines: [Substring] = text.split(separator: "\n", omittingEmptySubsequences: false)

    init(text: String) { self.text = text }
}
