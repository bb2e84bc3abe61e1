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
/// Reelflow's own tree rather than Yams' `Node`: composed by Yams, then converted once, and
/// cheap to copy (no tag objects, no weak anchor references).
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
    /// The same tree from Yams (aliases are already resolved by Yams' composer).
    init(_ node: Node) {
        switch node {
        case .scalar(let scalar):
            let style: Scalar.Style = switch scalar.style {
            case .singleQuoted: .singleQuoted
            case .doubleQuoted: .doubleQuoted
            case .literal: .literal
            case .folded: .folded
            case .any, .plain: .plain
            }
            self = .scalar(Scalar(string: scalar.string, style: style, mark: TextMark(scalar.mark)))
        case .mapping(let mapping):
            self = .mapping(Mapping(pairs: mapping.map { Pair(key: YAMLNode($0.key), value: YAMLNode($0.value)) },
                                    mark: TextMark(mapping.mark)))
        case .sequence(let sequence):
            self = .sequence(Sequence(items: sequence.map(YAMLNode.init), mark: TextMark(sequence.mark)))
        case .alias(let alias):
            self = .scalar(Scalar(string: "", style: .plain, mark: TextMark(alias.mark)))
        }
    }
}

extension TextMark {
    init?(_ mark: Mark?) {
        guard let mark else { return nil }
        self.init(line: mark.line, column: mark.column)
    }
}
