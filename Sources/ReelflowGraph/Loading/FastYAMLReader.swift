/// Reads the block-style YAML subset that graph files and presets are written in, about
/// ten times faster than composing with Yams (no events, tags or anchors), with the same
/// nodes and marks. Returns `nil` for anything outside the subset, and `YAMLFile` then
/// composes the text with Yams, which also reports syntax errors.
///
/// The subset: block mappings with plain or quoted (single-line) keys, block sequences
/// (also "indentless" under a key), flow sequences and mappings (across lines too), plain
/// single-line scalars, single- and double-quoted single-line scalars, comments.
/// Outside it: tabs, carriage returns, a byte order mark, `---`/`...`/`%` lines, anchors,
/// aliases, tags, `?` keys, block scalars (`|`, `>`), multi-line plain or quoted scalars,
/// empty values, duplicate keys, top-level scalars, trailing commas in flow collections.
struct FastYAMLReader {
    private let bytes: [UInt8]
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    /// The indent of the content line `pos` stands on; -1 at the end of the text.
    private var indent = -1
    private var lastMark = (line: 0, index: 0, column: 1)

    private init(bytes: [UInt8]) { self.bytes = bytes }

    static func read(_ text: String) -> YAMLNode? {
        var reader = FastYAMLReader(bytes: Array(text.utf8))
        return reader.document()
    }

    private mutating func document() -> YAMLNode? {
        if bytes.contains(where: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return nil }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return nil }
        nextContentLine()
        guard indent == 0, !startsLine(with: "---"), !startsLine(with: "..."), byte(pos) != UInt8(ascii: "%") else {
            return nil
        }
        let root: YAMLNode?
        if isEntryDash(pos) { root = blockSequence(indent: 0) } else if keyEnd() != nil { root = blockMapping(indent: 0) } else {
            return nil
        }
        return indent == -1 ? root : nil
    }

    // MARK: Block collections

    private mutating func blockMapping(indent mappingIndent: Int) -> YAMLNode? {
        let mark = self.mark(at: pos)
        var pairs: [YAMLNode.Pair] = []
        var seen: Set<String>?
        while true {
            guard let colon = keyEnd(), let key = keyScalar(upTo: colon) else { return nil }
            // Duplicate keys take Yams' path (YAMLFile reports them at their second place).
            if case .scalar(let scalar) = key {
                if pairs.count < 8 {
                    if pairs.contains(where: { if case .scalar(let other) = $0.key { other.string == scalar.string } else { false } }) {
                        return nil
                    }
                } else {
                    if seen == nil { seen = Set(pairs.compactMap { if case .scalar(let s) = $0.key { s.string } else { nil } }) }
                    guard seen!.insert(scalar.string).inserted else { return nil }
                }
            }
            pos = colon + 1
            guard let value = valueAfterColon(parentIndent: mappingIndent) else { return nil }
            pairs.append(YAMLNode.Pair(key: key, value: value))
            if indent < mappingIndent { break }
            guard indent == mappingIndent, !isEntryDash(pos) else { return nil }
        }
        return .mapping(YAMLNode.Mapping(pairs: pairs, mark: mark))
    }

    private mutating func valueAfterColon(parentIndent: Int) -> YAMLNode? {
        skipSpaces()
        if atLineEnd() {
            guard finishLine() else { return nil }
            nextContentLine()
            if indent > parentIndent { return blockCollection() }
            if indent == parentIndent, isEntryDash(pos) { return blockSequence(indent: parentIndent) }
            return nil  // an empty value
        }
        guard let value = inlineValue(blockIndent: parentIndent), finishLine() else { return nil }
        nextContentLine()
        return indent > parentIndent ? nil : value  // a deeper line would continue the scalar
    }

    private mutating func blockCollection() -> YAMLNode? {
        if isEntryDash(pos) { return blockSequence(indent: indent) }
        return keyEnd() != nil ? blockMapping(indent: indent) : nil
    }

    private mutating func blockSequence(indent sequenceIndent: Int) -> YAMLNode? {
        let mark = self.mark(at: pos)
        var items: [YAMLNode] = []
        while true {
            pos += 1
            skipSpaces()
            let item: YAMLNode?
            if atLineEnd() {
                guard finishLine() else { return nil }
                nextContentLine()
                guard indent > sequenceIndent else { return nil }
                item = blockCollection()
            } else if isEntryDash(pos) {
                return nil
            } else if keyEnd() != nil {
                item = blockMapping(indent: pos - lineStart)
            } else {
                guard let value = inlineValue(blockIndent: sequenceIndent), finishLine() else { return nil }
                nextContentLine()
                item = indent > sequenceIndent ? nil : value
            }
            guard let item else { return nil }
            items.append(item)
            if indent < sequenceIndent { break }
            if indent == sequenceIndent {
                if isEntryDash(pos) { continue }
                break  // the next key after an indentless sequence
            }
            return nil
        }
        return .sequence(YAMLNode.Sequence(items: items, mark: mark))
    }

    // MARK: Inline values

    /// A value written on the current line (possibly a flow collection spanning lines).
    private mutating func inlineValue(blockIndent: Int) -> YAMLNode? {
        guard let first = byte(pos) else { return nil }
        switch first {
        case UInt8(ascii: "["), UInt8(ascii: "{"): return flowCollection(blockIndent: blockIndent)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return quoted()
        default: return plain(flow: false)
        }
    }

    private mutating func flowCollection(blockIndent: Int) -> YAMLNode? {
        let mark = self.mark(at: pos)
        let isSequence = bytes[pos] == UInt8(ascii: "[")
        let close = isSequence ? UInt8(ascii: "]") : UInt8(ascii: "}")
        pos += 1
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        guard flowSpace(blockIndent) else { return nil }
        if byte(pos) == close {
            pos += 1
        } else {
            while true {
                if isSequence {
                    guard let item = flowItem(blockIndent: blockIndent) else { return nil }
                    items.append(item)
                } else {
                    guard let key = flowItem(blockIndent: blockIndent, isKey: true), case .scalar(let name) = key,
                          !pairs.contains(where: { if case .scalar(let other) = $0.key { other.string == name.string } else { false } }),
                          flowSpace(blockIndent), byte(pos) == UInt8(ascii: ":"), isBlankOrBreak(pos + 1) else { return nil }
                    pos += 1
                    guard flowSpace(blockIndent), let value = flowItem(blockIndent: blockIndent) else { return nil }
                    pairs.append(YAMLNode.Pair(key: key, value: value))
                }
                guard flowSpace(blockIndent) else { return nil }
                if byte(pos) == close { pos += 1; break }
                guard byte(pos) == UInt8(ascii: ","), (pos += 1, flowSpace(blockIndent)).1, byte(pos) != close else {
                    return nil
                }
            }
        }
        return isSequence ? .sequence(YAMLNode.Sequence(items: items, mark: mark))
            : .mapping(YAMLNode.Mapping(pairs: pairs, mark: mark))
    }

    private mutating func flowItem(blockIndent: Int, isKey: Bool = false) -> YAMLNode? {
        guard let first = byte(pos) else { return nil }
        switch first {
        case UInt8(ascii: "["), UInt8(ascii: "{"): return isKey ? nil : flowCollection(blockIndent: blockIndent)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return quoted()
        default: return plain(flow: true)
        }
    }

    /// A plain scalar on one line: in block context up to ` #` or the line's end, in flow
    /// context also up to `,[]{}` or `: `.
    private mutating func plain(flow: Bool) -> YAMLNode? {
        let start = pos
        let first = bytes[pos]
        if "?:,[]{}#&*!|>'\"%@`".utf8.contains(first) { return nil }
        if first == UInt8(ascii: "-"), isBlankOrBreak(pos + 1) { return nil }
        var end = pos
        while let byte = byte(end), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "#"), end > start, bytes[end - 1] == UInt8(ascii: " ") { break }
            if byte == UInt8(ascii: ":") {
                if isBlankOrBreak(end + 1) { if flow { break } else { return nil } }
                if flow, let next = self.byte(end + 1), ",[]{}".utf8.contains(next) { break }
            }
            if flow, ",[]{}".utf8.contains(byte) { break }
            end += 1
        }
        var last = end
        while last > start, bytes[last - 1] == UInt8(ascii: " ") { last -= 1 }
        guard last > start else { return nil }
        pos = end
        return .scalar(YAMLNode.Scalar(string: String(decoding: bytes[start..<last], as: UTF8.self), style: .plain,
                                       mark: mark(at: start)))
    }

    /// A single- or double-quoted scalar closed on the same line.
    private mutating func quoted() -> YAMLNode? {
        let start = pos
        let quote = bytes[pos]
        var out: [UInt8] = []
        pos += 1
        while true {
            guard let byte = byte(pos), byte != UInt8(ascii: "\n") else { return nil }
            pos += 1
            if byte == quote {
                if quote == UInt8(ascii: "'"), self.byte(pos) == quote { out.append(quote); pos += 1; continue }
                break
            }
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                guard let escaped = escape() else { return nil }
                out += escaped
            } else {
                out.append(byte)
            }
        }
        return .scalar(YAMLNode.Scalar(string: String(decoding: out, as: UTF8.self),
                                       style: quote == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted,
                                       mark: mark(at: start)))
    }

    /// The bytes of the escape after a backslash (YAML's double-quoted escapes).
    private mutating func escape() -> [UInt8]? {
        guard let code = byte(pos) else { return nil }
        pos += 1
        let simple: [UInt8: UInt32] = [
            UInt8(ascii: "0"): 0, UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "t"): 9, UInt8(ascii: "n"): 10,
            UInt8(ascii: "v"): 11, UInt8(ascii: "f"): 12, UInt8(ascii: "r"): 13, UInt8(ascii: "e"): 0x1B,
            UInt8(ascii: " "): 0x20, UInt8(ascii: "\""): 0x22, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "\\"): 0x5C,
            UInt8(ascii: "N"): 0x85, UInt8(ascii: "_"): 0xA0, UInt8(ascii: "L"): 0x2028, UInt8(ascii: "P"): 0x2029,
        ]
        var value: UInt32
        if let known = simple[code] {
            value = known
        } else {
            let digits = code == UInt8(ascii: "x") ? 2 : code == UInt8(ascii: "u") ? 4 : code == UInt8(ascii: "U") ? 8 : 0
            guard digits > 0, pos + digits <= bytes.count,
                  let parsed = UInt32(String(decoding: bytes[pos..<pos + digits], as: UTF8.self), radix: 16) else { return nil }
            pos += digits
            value = parsed
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return Array(String(Character(scalar)).utf8)
    }

    // MARK: Lines and positions

    private func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func isBlankOrBreak(_ index: Int) -> Bool {
        guard let byte = byte(index) else { return true }
        return byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n")
    }

    private func isEntryDash(_ index: Int) -> Bool { byte(index) == UInt8(ascii: "-") && isBlankOrBreak(index + 1) }

    private func startsLine(with text: String) -> Bool {
        bytes[pos...].starts(with: text.utf8) && isBlankOrBreak(pos + text.utf8.count)
    }

    private mutating func skipSpaces() {
        while byte(pos) == UInt8(ascii: " ") { pos += 1 }
    }

    private func atLineEnd() -> Bool {
        guard let byte = byte(pos) else { return true }
        return byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "#")
    }

    /// Skips trailing spaces and a comment; false when something else is left on the line.
    private mutating func finishLine() -> Bool {
        let before = pos
        skipSpaces()
        guard let byte = byte(pos), byte != UInt8(ascii: "\n") else { return true }
        guard byte == UInt8(ascii: "#"), pos > before || pos == lineStart || bytes[pos - 1] == UInt8(ascii: " ") else {
            return false
        }
        while let byte = self.byte(pos), byte != UInt8(ascii: "\n") { pos += 1 }
        return true
    }

    /// Moves to the first character of the next line holding more than spaces and
    /// comments, setting `indent` (-1 at the end of the text). `pos` is at a line break,
    /// the end of the text, or the start of a line.
    private mutating func nextContentLine() {
        while pos < bytes.count {
            if bytes[pos] == UInt8(ascii: "\n") {
                pos += 1
                line += 1
                lineStart = pos
                continue
            }
            var first = pos
            while first < bytes.count, bytes[first] == UInt8(ascii: " ") { first += 1 }
            guard first < bytes.count else { pos = first; break }
            if bytes[first] == UInt8(ascii: "\n") { pos = first; continue }
            if bytes[first] == UInt8(ascii: "#") {
                pos = first
                while pos < bytes.count, bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
                continue
            }
            pos = first
            indent = first - lineStart
            return
        }
        indent = -1
    }

    /// Spaces, line breaks and comments inside a flow collection; false when a line inside
    /// it is not indented past the enclosing block.
    private mutating func flowSpace(_ blockIndent: Int) -> Bool {
        while let byte = byte(pos) {
            if byte == UInt8(ascii: " ") {
                pos += 1
            } else if byte == UInt8(ascii: "#"), pos == lineStart || bytes[pos - 1] == UInt8(ascii: " ") {
                while let next = self.byte(pos), next != UInt8(ascii: "\n") { pos += 1 }
            } else if byte == UInt8(ascii: "\n") {
                pos += 1
                line += 1
                lineStart = pos
                var first = pos
                while self.byte(first) == UInt8(ascii: " ") { first += 1 }
                if let next = self.byte(first), next != UInt8(ascii: "\n"), next != UInt8(ascii: "#"),
                   first - lineStart <= blockIndent {
                    return false
                }
            } else {
                break
            }
        }
        return true
    }

    /// Where the `:` of a block mapping key starting at `pos` is, if the line starts one.
    private func keyEnd() -> Int? {
        guard let first = byte(pos) else { return nil }
        var index = pos
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            index += 1
            while let byte = byte(index), byte != UInt8(ascii: "\n") {
                if byte == UInt8(ascii: "\\"), first == UInt8(ascii: "\"") { index += 2; continue }
                index += 1
                if byte == first {
                    if first == UInt8(ascii: "'"), self.byte(index) == first { index += 1; continue }
                    break
                }
            }
            while byte(index) == UInt8(ascii: " ") { index += 1 }
            return byte(index) == UInt8(ascii: ":") && isBlankOrBreak(index + 1) ? index : nil
        }
        if "-?:,[]{}#&*!|>%@`".utf8.contains(first) { return nil }
        while let byte = byte(index), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: ":"), isBlankOrBreak(index + 1) { return index }
            if byte == UInt8(ascii: "#"), bytes[index - 1] == UInt8(ascii: " ") { return nil }
            index += 1
        }
        return nil
    }

    /// The key scalar that starts at `pos` and ends before `colon`.
    private mutating func keyScalar(upTo colon: Int) -> YAMLNode? {
        let key: YAMLNode?
        if bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") {
            key = quoted()
        } else {
            var last = colon
            while last > pos, bytes[last - 1] == UInt8(ascii: " ") { last -= 1 }
            key = .scalar(YAMLNode.Scalar(string: String(decoding: bytes[pos..<last], as: UTF8.self), style: .plain,
                                          mark: mark(at: pos)))
        }
        return key
    }

    /// The mark of `index` on the current line (columns in Unicode scalars, from 1).
    /// Marks on one line are asked for left to right, so counting resumes from the last
    /// one (a long flow list on one line stays linear).
    private mutating func mark(at index: Int) -> TextMark {
        var (i, column) = lastMark.line == line && lastMark.index <= index ? (lastMark.index, lastMark.column)
            : (lineStart, 1)
        while i < index {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        lastMark = (line, index, column)
        return TextMark(line: line, column: column)
    }
}
