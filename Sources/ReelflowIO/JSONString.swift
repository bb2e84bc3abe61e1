/// The one JSON string escaper: canonical cache-key JSON (ReelflowGraph), safetensors headers
/// (Tensors) and double-quoted YAML scalars written by `fmt` all spell strings through it.
///
/// Minimal escapes: `\"`, `\\`, `\n`, `\r`, `\t`, and `\u00xx` (lowercase hex) for the other
/// control characters below U+0020; `/` is not escaped and everything else is written as is.
/// The output is a valid JSON string literal and a valid YAML double-quoted scalar.
public enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String, alsoEscaping extra: ((Unicode.Scalar) -> Bool)? = nil) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 2)
        append(text, to: &out, alsoEscaping: extra)
        return out
    }

    /// Appends `text` as a JSON string literal, quotes included, to `out`.
    /// - Parameter extra: scalars to write as `\uXXXX` besides the control characters (YAML's
    ///   writer passes DEL, the C1 controls and U+FEFF, which YAML may not show raw).
    public static func append(_ text: String, to out: inout String,
                              alsoEscaping extra: ((Unicode.Scalar) -> Bool)? = nil) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20 || (c.value <= 0xFFFF && extra?(c) == true):
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
