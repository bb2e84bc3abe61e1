import OrderedCollections
import ReelflowIO

extension Value {
    /// The value as compact JSON with one spelling per value, for cache keys: stable across
    /// processes and machines.
    ///
    /// - INT: decimal digits (`7`); FLOAT: Swift's shortest round-trip form, which always
    ///   has a `.` or an exponent (`7.0`, `0.1`, `1e-05`), so 7 and 7.0 differ;
    ///   non-finite floats as the strings `"nan"`, `"inf"`, `"-inf"`.
    /// - BOOL: `true`/`false`; STRING and PATH: JSON strings (minimal escapes, `\u00XX`
    ///   for other control characters; no `/` escaping).
    /// - LIST: an array; RECORD: an object in the record's field order, which the loader
    ///   makes the schema's order (not sorted, not file order).
    public var canonicalJSON: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .int(let value): out += String(value)
        case .float(let value):
            if value.isNaN { out += "\"nan\"" } else if value.isInfinite { out += value < 0 ? "\"-inf\"" : "\"inf\"" } else {
                out += value.description
            }
        case .bool(let value): out += value ? "true" : "false"
        case .string(let text), .path(let text): JSONString.append(text, to: &out)
        case .list(let items): writeCanonicalList(items, to: &out)
        case .record(let fields): writeCanonicalRecord(fields, to: &out)
        }
    }
}

extension Binding {
    /// Like `Value.canonicalJSON`, with an edge written as `{"$edge":"node.output"}`.
    public var canonicalJSON: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .literal(let value): value.write(to: &out)
        case .edge(let node, let output):
            out += "{\"$edge\":"
            JSONString.append("\(node).\(output)", to: &out)
            out += "}"
        case .list(let items): writeCanonicalList(items, to: &out)
        case .record(let fields): writeCanonicalRecord(fields, to: &out)
        }
    }
}

/// What both `Value` and `Binding` write: their canonical JSON, with lists and records
/// spelled the same way by the two helpers below.
protocol CanonicalJSONWritable {
    func write(to out: inout String)
}

extension Value: CanonicalJSONWritable {}
extension Binding: CanonicalJSONWritable {}

/// `[a,b,...]`, no spaces.
private func writeCanonicalList(_ items: [some CanonicalJSONWritable], to out: inout String) {
    out += "["
    for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        item.write(to: &out)
    }
    out += "]"
}

/// `{"key":value,...}` in the record's own order, no spaces.
private func writeCanonicalRecord<Element: CanonicalJSONWritable>(
    _ fields: OrderedDictionary<String, Element>, to out: inout String
) {
    out += "{"
    for (index, field) in fields.enumerated() {
        if index > 0 { out += "," }
        JSONString.append(field.key, to: &out)
        out += ":"
        field.value.write(to: &out)
    }
    out += "}"
}
