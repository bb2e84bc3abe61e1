/// What a YAML scalar means, decided by Reelflow rather than by Yams' YAML 1.1 resolver:
/// only `true`/`false` are booleans (not `yes`, `no`, `on`, `off`), ints are decimal,
/// and a quoted scalar is always a string. Plain scalars only are typed.
enum YAMLScalar: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    init(_ text: String, plain: Bool) {
        guard plain else { self = .string(text); return }
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": self = .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": self = .float(-.infinity)
        case ".nan", ".NaN", ".NAN": self = .float(.nan)
        default:
            if Self.looksNumeric(text) {
                if let int = Int(text) { self = .int(int); return }
                if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let double = Double(text),
                   double.isFinite {
                    self = .float(double)
                    return
                }
            }
            self = .string(text)
        }
    }

    init(_ scalar: YAMLNode.Scalar, text: String) {
        self.init(text, plain: scalar.isPlain)
    }

    /// A quick filter so ordinary words never reach the number parsers:
    /// `[-+]?` digits with an optional fraction and exponent.
    private static func looksNumeric(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if let first = scalars.first, first == "-" || first == "+" { scalars = scalars.dropFirst() }
        guard let first = scalars.first, first == "." || ("0"..."9").contains(first) else { return false }
        return scalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }
    }

    /// The type name used in messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "BOOL"
        case .int: "INT"
        case .float: "FLOAT"
        case .string: "STRING"
        }
    }
}
