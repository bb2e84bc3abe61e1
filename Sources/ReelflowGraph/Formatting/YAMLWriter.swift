import Yams

/// Writes YAML nodes in the formatter's canonical style, line by line, with comments.
struct YAMLWriter {
    let file: YAMLFile
    var comments: CommentMap
    private(set) var lines: [String] = []

    init(file: YAMLFile, comments: CommentMap) {
        self.file = file
        self.comments = comments
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    mutating func blankLine() {
        if let last = lines.last, !last.isEmpty { lines.append("") }
    }

    mutating func header(firstLine: Int?) {
        lines += comments.takeLeading(firstLine)
    }

    mutating func finish() {
        lines += comments.takeRest()
        while lines.last == "" { lines.removeLast() }
    }

    /// `key:` alone, with its comments (a block of children follows).
    mutating func keyLine(_ entry: KeyedNode, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        lines += comments.takeLeading(entry.keyMark?.line).map { pad + $0 }
        append(pad + key(entry.key) + ":", trailingOf: entry.keyMark?.line)
    }

    /// `key: value`, or `key:` and a block.
    mutating func entry(_ entry: KeyedNode, indent: Int, type: ValueType?) {
        let pad = String(repeating: " ", count: indent)
        let line = entry.keyMark?.line
        lines += comments.takeLeading(line).map { pad + $0 }
        let head = pad + key(entry.key) + ":"
        if let inline = inline(entry.value, type: type, flow: false, mappingInline: false), head.count + 1 + inline.count <= GraphFormatter.lineWidth
            || !entry.value.isCollection {
            hoistComments(inside: entry.value, pad: pad)
            append(head + " " + inline, trailingOf: line)
            return
        }
        switch entry.value {
        case .scalar(let scalar):
            let block = ScalarWriter.block(file.string(of: scalar), indent: pad + "  ") ?? []
            append(head + " " + block[0], trailingOf: line)
            lines += block.dropFirst()
        case .sequence(let sequence):
            append(head, trailingOf: line)
            for item in sequence { self.item(item, indent: indent + 2, type: type.flatMap(Self.element)) }
        case .mapping(let mapping):
            append(head, trailingOf: line)
            for (child, type) in ordered(mapping, type: type) { self.entry(child, indent: indent + 2, type: type) }
        }
    }

    /// One block list item.
    private mutating func item(_ node: YAMLNode, indent: Int, type: ValueType?) {
        let pad = String(repeating: " ", count: indent)
        let line = node.mark?.line
        lines += comments.takeLeading(line).map { pad + $0 }
        if let inline = inline(node, type: type, flow: false, mappingInline: true), pad.count + 2 + inline.count <= GraphFormatter.lineWidth
            || !node.isCollection {
            hoistComments(inside: node, pad: pad)
            append(pad + "- " + inline, trailingOf: line)
            return
        }
        switch node {
        case .scalar(let scalar):
            let block = ScalarWriter.block(file.string(of: scalar), indent: pad + "  ") ?? []
            append(pad + "- " + block[0], trailingOf: line)
            lines += block.dropFirst()
        case .sequence(let sequence):
            append(pad + "-", trailingOf: line)
            for child in sequence { item(child, indent: indent + 2, type: type.flatMap(Self.element)) }
        case .mapping(let mapping):
            let children = ordered(mapping, type: type)
            lines += comments.takeLeading(children.first?.0.keyMark?.line).map { pad + $0 }
            let start = lines.count
            let trailing = comments.takeTrailing(line)
            for (child, type) in children { entry(child, indent: indent + 2, type: type) }
            // The first child goes on the dash line: `- key: value`.
            lines[start] = pad + "- " + lines[start].dropFirst(indent + 2)
            if let trailing, !lines[start].contains(" #") { lines[start] += "  " + trailing }
        }
    }

    /// The one-line form of a node, or `nil` when it needs a block (multi-line text,
    /// nested collections, or a mapping outside a list).
    /// - Parameter mappingInline: Whether a mapping may be written `{...}` (list items only).
    private func inline(_ node: YAMLNode, type: ValueType?, flow: Bool, mappingInline: Bool = true) -> String? {
        switch node {
        case .scalar(let scalar):
            let text = file.string(of: scalar)
            let plain = scalar.isPlain
            if text.contains("\n"), YAMLScalar(text, plain: plain) == .string(text),
               ScalarWriter.block(text, indent: "") != nil, !flow {
                return nil
            }
            return ScalarWriter.inline(text, plain: plain, flow: flow)
        case .sequence(let sequence):
            guard sequence.allSatisfy({ !$0.isCollection }) else { return sequence.isEmpty ? "[]" : nil }
            let items = sequence.compactMap { inline($0, type: type.flatMap(Self.element), flow: true) }
            return items.count == sequence.count ? "[" + items.joined(separator: ", ") + "]" : nil
        case .mapping(let mapping):
            if mapping.isEmpty { return "{}" }
            guard flow || mappingInline, mapping.values.allSatisfy({ !$0.isCollection }) else {
                return nil
            }
            var parts: [String] = []
            for (child, childType) in ordered(mapping, type: type) {
                guard let value = inline(child.value, type: childType, flow: true) else { return nil }
                parts.append(ScalarWriter.string(child.key, flow: true) + ": " + value)
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    /// A mapping's entries, in record field order when its type is a known record.
    private func ordered(_ mapping: YAMLNode.Mapping, type: ValueType?) -> [(KeyedNode, ValueType?)] {
        let entries = mapping.compactMap { pair -> KeyedNode? in
            guard case .scalar(let scalar) = pair.key else { return nil }
            return KeyedNode(key: file.string(of: scalar), keyMark: scalar.mark, value: pair.value)
        }
        guard case .record(let fields)? = type else { return entries.map { ($0, nil) } }
        let known = fields.compactMap { field in entries.first { $0.key == field.name }.map { ($0, Optional(field.type)) } }
        let unknown = entries.filter { entry in !fields.contains { $0.name == entry.key } }.map { ($0, ValueType?.none) }
        return known + unknown
    }

    private static func element(_ type: ValueType) -> ValueType? {
        if case .list(let element) = type { element } else { nil }
    }

    private func key(_ name: String) -> String { ScalarWriter.string(name, flow: false) }

    private mutating func append(_ line: String, trailingOf source: Int?) {
        if let comment = comments.takeTrailing(source) { lines.append(line + "  " + comment) } else { lines.append(line) }
    }

    /// Comments written inside a value now printed on one line move above it.
    private mutating func hoistComments(inside node: YAMLNode, pad: String) {
        var anchors = Set<Int>(), ignored = Set<Int>()
        CommentMap.scan(node, lines: file.lines, anchors: &anchors, blockScalarLines: &ignored)
        anchors.remove(node.mark?.line ?? -1)
        for line in anchors.sorted() {
            lines += comments.takeLeading(line).map { pad + $0 }
            if let comment = comments.takeTrailing(line) { lines.append(pad + comment) }
        }
    }
}
