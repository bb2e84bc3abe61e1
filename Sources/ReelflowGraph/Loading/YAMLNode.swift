import Yams

/// A position in a YAML text: line and column from 1, columns counted in Unicode scalars
/// (as libyaml and Yams count them).
struct TextMark: Hashable, Sendable, CustomStringConvertible {
    var line: Int
    var column: Int

    var description: String { "\(line):\(column)" }
}

/// A composed YAML node with positions: what the loader, presets and formatter read.
///
/// Reelflow's own tree rather than Yams' `Node`: composed by Yams, then converted within
/// `Limits` (aliases expanded), and cheap to copy (no tag objects, no weak anchor references).
indirect enum YAMLNode {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    struct Scalar {
        enum Style: Hashable { case plain, singleQuoted, doubleQuoted, literal, folded }
        var string: String
        var style: Style
        var mark: TextMark?

        var isPlain: Bool { style == .plain }
    }

    struct Pair {
        var key: YAMLNode
        var value: YAMLNode
    }

    struct Mapping: RandomAccessCollection {
        var pairs: [Pair]
        var mark: TextMark?
        var startIndex: Int { 0 }
        var endIndex: Int { pairs.count }
        subscript(position: Int) -> Pair { pairs[position] }
        var values: [YAMLNode] { pairs.map(\.value) }
    }

    struct Sequence: RandomAccessCollection {
        var items: [YAMLNode]
        var mark: TextMark?
        var startIndex: Int { 0 }
        var endIndex: Int { items.count }
        subscript(position: Int) -> YAMLNode { items[position] }
    }

    var mark: TextMark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    var isCollection: Bool {
        if case .scalar = self { false } else { true }
    }
}

extension YAMLNode {
    /// Limits on what a graph file may compose to. Aliases are expanded into copies, so a
    /// few hundred bytes of anchors aliasing each other ("billion laughs") would otherwise
    /// produce billions of nodes; and every reader of the tree recurses, so nesting is bounded
    /// well before a thread's stack is.
    enum Limits {
        /// Nodes (scalars, mappings, sequences) after aliases are expanded.
        static let nodes = 100_000
        /// Levels of nesting of mappings and sequences, flow or block.
        static let depth = 100
    }

    /// Why a composed document was refused.
    enum LimitExceeded: Error {
        /// Expanding aliases produced more than `Limits.nodes` nodes; `anchor` is the mark of
        /// the outermost aliased node being copied when the limit was crossed.
        case tooManyNodes(anchor: TextMark?)
        /// A collection nested deeper than `Limits.depth`, at `mark`.
        case tooDeep(mark: TextMark?)
    }

    /// The same tree from Yams (aliases are already resolved by Yams' composer, into shared
    /// copies that this conversion expands), within `Limits`.
    static func converting(_ node: Node) throws(LimitExceeded) -> YAMLNode {
        var converter = Converter()
        return try converter.convert(node, depth: 0)
    }

    /// Counts nodes as it produces them. An alias copy is recognised by its mark: nodes are
    /// met in document order, so a node whose mark is before one already met was copied
    /// from its anchor.
    private struct Converter {
        var count = 0
        var latest = TextMark(line: 0, column: 0)
        var alias: TextMark?

        mutating func convert(_ node: Node, depth: Int) throws(LimitExceeded) -> YAMLNode {
            let mark = TextMark(node.mark)
            count += 1
            var enteredAlias = false
            if let mark {
                if (mark.line, mark.column) < (latest.line, latest.column) {
                    if alias == nil { alias = mark; enteredAlias = true }
                } else {
                    latest = mark
                }
            }
            defer { if enteredAlias { alias = nil } }
            guard count <= Limits.nodes else { throw .tooManyNodes(anchor: alias) }
            switch node {
            case .scalar(let scalar):
                let style: Scalar.Style = switch scalar.style {
                case .singleQuoted: .singleQuoted
                case .doubleQuoted: .doubleQuoted
                case .literal: .literal
                case .folded: .folded
                case .any, .plain: .plain
                }
                return .scalar(Scalar(string: scalar.string, style: style, mark: mark))
            case .mapping(let mapping):
                guard depth < Limits.depth else { throw .tooDeep(mark: mark) }
                var pairs: [Pair] = []
                pairs.reserveCapacity(mapping.count)
                for (key, value) in mapping {
                    pairs.append(Pair(key: try convert(key, depth: depth + 1), value: try convert(value, depth: depth + 1)))
                }
                return .mapping(Mapping(pairs: pairs, mark: mark))
            case .sequence(let sequence):
                guard depth < Limits.depth else { throw .tooDeep(mark: mark) }
                var items: [YAMLNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence { items.append(try convert(item, depth: depth + 1)) }
                return .sequence(Sequence(items: items, mark: mark))
            case .alias(let alias):
                return .scalar(Scalar(string: "", style: .plain, mark: TextMark(alias.mark)))
            }
        }
    }

    /// The deepest nesting of flow collections (`[`, `{`) in a YAML text, stopping as soon as
    /// it passes `limit`; with its line and column. Yams composes recursively, so a text
    /// nested tens of thousands deep must be refused before it reaches Yams (libyaml itself
    /// bounds block nesting, not flow). Brackets inside quotes and comments are skipped; one
    /// inside a plain scalar may be counted, which only matters past `limit` levels.
    static func flowDepthExceeding(_ limit: Int, in text: String) -> TextMark? {
        var depth = 0
        var line = 1, column = 0
        var quote: UInt8? = nil
        var comment = false
        var previous: UInt8 = UInt8(ascii: "\n")
        var escaped = false
        for byte in text.utf8 {
            if byte & 0xC0 != 0x80 { column += 1 }  // count scalars, as Yams marks do
            defer { previous = byte }
            if byte == UInt8(ascii: "\n") {
                line += 1; column = 0; comment = false
                continue
            }
            if comment { continue }
            if let open = quote {
                if escaped { escaped = false } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open { quote = nil }
                continue
            }
            let atTokenStart = previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t")
                || previous == UInt8(ascii: "\n") || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                || previous == UInt8(ascii: ",") || previous == UInt8(ascii: "\r")
            switch byte {
            case UInt8(ascii: "#") where atTokenStart: comment = true
            case UInt8(ascii: "'") where atTokenStart, UInt8(ascii: "\"") where atTokenStart: quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard atTokenStart || depth > 0 else { continue }
                depth += 1
                if depth > limit { return TextMark(line: line, column: column) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}

extension TextMark {
    init?(_ mark: Mark?) {
        guard let mark else { return nil }
        self.init(line: mark.line, column: mark.column)
    }
}
