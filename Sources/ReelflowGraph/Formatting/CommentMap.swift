import Yams

/// The comments of a YAML file, each tied to the key or list item it belongs to, so the
/// formatter can write them back beside that element after reordering.
///
/// Yams drops comments, so they are found in the source lines: a `#` at the start of a
/// line or after whitespace, outside quotes, outside block scalars (`|`, `>`). A comment
/// alone on its line belongs to the next element (its source line); a comment after an
/// element on the same line stays on that element's line. Comments after the last element
/// end the file. Nothing is dropped: whatever is not claimed is written at the end.
struct CommentMap {
    private var leading: [Int: [String]] = [:]
    private var trailing: [Int: String] = [:]
    private var ending: [String] = []

    /// - Parameters:
    ///   - lines: The source lines.
    ///   - anchors: The source lines on which elements (keys, list items) start.
    ///   - blockScalarLines: Lines inside block scalars (text, not comments).
    init(lines: [Substring], anchors: Set<Int>, blockScalarLines: Set<Int>) {
        let sortedAnchors = anchors.sorted()
        var pending: [String] = []
        var anchorIndex = 0
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            guard !blockScalarLines.contains(number), let comment = Self.comment(in: line) else { continue }
            let alone = line.trimmingPrefixSpaces().hasPrefix("#")
            if !alone, anchors.contains(number) {
                trailing[number] = comment
                continue
            }
            while anchorIndex < sortedAnchors.count, sortedAnchors[anchorIndex] <= number { anchorIndex += 1 }
            if anchorIndex < sortedAnchors.count {
                leading[sortedAnchors[anchorIndex], default: []].append(comment)
            } else {
                pending.append(comment)
            }
        }
        ending = pending
    }

    /// The comments written before the element that starts on `line` (once only).
    mutating func takeLeading(_ line: Int?) -> [String] {
        guard let line else { return [] }
        return leading.removeValue(forKey: line) ?? []
    }

    /// The comment written after the element that starts on `line` (once only).
    mutating func takeTrailing(_ line: Int?) -> String? {
        guard let line else { return nil }
        return trailing.removeValue(forKey: line)
    }

    /// Everything not yet taken, in source order, ending with the file's last comments.
    mutating func takeRest() -> [String] {
        var rest: [(Int, String)] = []
        for (line, comments) in leading { rest += comments.map { (line, $0) } }
        for (line, comment) in trailing { rest.append((line, comment)) }
        leading = [:]
        trailing = [:]
        defer { ending = [] }
        return rest.sorted { $0.0 < $1.0 }.map(\.1) + ending
    }

    /// The comment text (from `#`, trailing spaces trimmed) of a line, if any.
    static func comment(in line: Substring) -> String? {
        var quote: Character?
        var previous: Character = " "
        var lastSignificant: Character?
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if let open = quote {
                if open == "\"", character == "\\" {
                    index = line.index(after: index)
                    if index < line.endIndex { index = line.index(after: index) }
                    continue
                }
                if character == open { quote = nil }
            } else if character == "#", previous == " " || previous == "\t" {
                var text = String(line[index...])
                while text.last == " " || text.last == "\t" || text.last == "\r" { text.removeLast() }
                return text
            } else if character == "\"" || character == "'",
                      lastSignificant == nil || ":-[{,".contains(lastSignificant!) {
                quote = character
            }
            if character != " " && character != "\t" { lastSignificant = character }
            previous = character
            index = line.index(after: index)
        }
        return nil
    }
}

extension Substring {
    func trimmingPrefixSpaces() -> Substring { drop { $0 == " " || $0 == "\t" } }
}

extension CommentMap {
    /// The lines each element of `node` starts on (keys and list items, at every depth),
    /// and the lines inside its block scalars.
    static func scan(_ node: YAMLNode, lines: [Substring], anchors: inout Set<Int>, blockScalarLines: inout Set<Int>) {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .literal || scalar.style == .folded, let line = scalar.mark?.line,
                  line >= 1, line <= lines.count else { return }
            let indent = lines[line - 1].prefix { $0 == " " }.count
            var next = line + 1
            while next <= lines.count {
                let text = lines[next - 1]
                let blank = text.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
                guard blank || text.prefix(while: { $0 == " " }).count > indent else { break }
                blockScalarLines.insert(next)
                next += 1
            }
        case .mapping(let mapping):
            for pair in mapping {
                if let line = pair.key.mark?.line { anchors.insert(line) }
                scan(pair.value, lines: lines, anchors: &anchors, blockScalarLines: &blockScalarLines)
            }
        case .sequence(let sequence):
            for item in sequence {
                if let line = item.mark?.line { anchors.insert(line) }
                scan(item, lines: lines, anchors: &anchors, blockScalarLines: &blockScalarLines)
            }
        }
    }
}
