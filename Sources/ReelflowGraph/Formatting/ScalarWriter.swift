import ReelflowIO
import Yams

/// How the formatter writes one scalar: plain when that reads back as the same value,
/// double-quoted otherwise; block literal (`|`) for multi-line text.
enum ScalarWriter {
    /// Words other YAML readers (YAML 1.1) take as booleans: kept quoted as strings.
    private static let yaml11Words: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    ]

    /// The scalar as it will be written inline; `flow` when inside `[...]` or `{...}`.
    static func inline(_ text: String, plain wasPlain: Bool, flow: Bool) -> String {
        switch YAMLScalar(text, plain: wasPlain) {
        case .bool(let value): return value ? "true" : "false"
        case .null: return text.isEmpty ? "null" : text == "~" ? "null" : text.lowercased()
        case .int, .float: return text
        case .string(let value): return string(value, flow: flow)
        }
    }

    /// A string scalar, plain when safe.
    static func string(_ value: String, flow: Bool) -> String {
        isPlainSafe(value, flow: flow) ? value : doubleQuoted(value)
    }

    /// Whether `value` written plain reads back as the same string.
    static func isPlainSafe(_ value: String, flow: Bool) -> Bool {
        guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last else { return false }
        guard YAMLScalar(value, plain: true) == .string(value), !yaml11Words.contains(value) else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) {
            // `-x`, `?x`, `:x` are plain when not followed by a space, but keep it simple.
            return false
        }
        if first == " " || last == " " || last == ":" { return false }
        if value.contains(": ") || value.contains(" #") { return false }
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{FEFF}" || (0x80...0x9F).contains(scalar.value) { return false }
            if flow, ",[]{}".unicodeScalars.contains(scalar) { return false }
        }
        return true
    }

    /// A double-quoted scalar through the shared JSON escaper, with DEL, the C1 controls and
    /// U+FEFF escaped too (YAML may not show them raw).
    static func doubleQuoted(_ value: String) -> String {
        JSONString.quoted(value) { $0.value == 0x7F || (0x80...0x9F).contains($0.value) || $0 == "\u{FEFF}" }
    }

    /// A multi-line string as a literal block (`|`, `|-` or `|+` for its final newlines),
    /// indented by `indent`; `nil` when a block cannot hold it exactly.
    static func block(_ value: String, indent: String) -> [String]? {
        guard value.contains("\n") else { return nil }
        var body = Substring(value)
        var chomp = "-"
        if body.hasSuffix("\n") {
            body.removeLast()
            chomp = body.hasSuffix("\n") ? "+" : ""
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, !first.isEmpty, first.first != " ", first.first != "\t" else { return nil }
        for line in lines {
            for scalar in line.unicodeScalars where scalar.value < 0x20 && scalar != "\t" || scalar == "\u{FEFF}" {
                return nil
            }
            if line.last == " " || line.last == "\t" { return nil }
        }
        if chomp == "+" { return nil }
        return ["|" + chomp] + lines.map { $0.isEmpty ? "" : indent + $0 }
    }
}
