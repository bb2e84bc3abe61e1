/// The type of a node input or output.
///
/// Port types (`VIDEO`, `LATENT`, `MODEL`, ...) travel only along edges. Scalar types
/// (`INT`, `FLOAT`, `STRING`, `BOOL`, `PATH`) may be written as literals, `$param`
/// references, or edges from an output of the same type. Lists and records describe
/// structured literals such as LoRAStack's `loras:` list.
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
    /// A named value carried along edges: VIDEO, IMAGE, LATENT, MODEL, VAE, ...
    case port(String)
    /// Integer, optionally bounded (inclusive).
    case int(min: Int? = nil, max: Int? = nil)
    /// Floating point, optionally bounded (inclusive).
    case float(min: Double? = nil, max: Double? = nil)
    case string
    case bool
    /// One of a fixed set of strings.
    case enumeration([String])
    /// A file path, resolved relative to the graph file. `mustExist` paths are checked
    /// during validation and fingerprinted for the cache.
    case path(mustExist: Bool)
    /// A list of values of one type.
    case list(ValueType)
    /// A mapping with declared fields.
    case record([InputSpec])

    /// The common port types of DESIGN.md.
    public static let video = ValueType.port("VIDEO")
    public static let image = ValueType.port("IMAGE")
    public static let latent = ValueType.port("LATENT")
    public static let model = ValueType.port("MODEL")
    public static let vae = ValueType.port("VAE")
    public static let upsampler = ValueType.port("UPSAMPLER")
    public static let conditioning = ValueType.port("CONDITIONING")

    /// True for types that can only arrive along an edge.
    public var isPort: Bool { if case .port = self { true } else { false } }

    /// The name used in messages and in `reelflow nodes` output.
    public var description: String {
        switch self {
        case .port(let name): name
        case .int(let lo, let hi): "INT" + Self.rangeText(lo.map(String.init), hi.map(String.init))
        case .float(let lo, let hi): "FLOAT" + Self.rangeText(lo.map { "\($0)" }, hi.map { "\($0)" })
        case .string: "STRING"
        case .bool: "BOOL"
        case .enumeration(let cases): "one of " + cases.joined(separator: ", ")
        case .path: "PATH"
        case .list(let element): "LIST of \(element)"
        case .record(let fields): "{" + fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + "}"
        }
    }

    /// The name of the type without bounds, as edges compare it.
    public var kindName: String {
        switch self {
        case .port(let name): name
        case .int: "INT"
        case .float: "FLOAT"
        case .string, .enumeration: "STRING"
        case .bool: "BOOL"
        case .path: "PATH"
        case .list(let element): "LIST of \(element.kindName)"
        case .record: "RECORD"
        }
    }

    private static func rangeText(_ lo: String?, _ hi: String?) -> String {
        switch (lo, hi) {
        case (nil, nil): ""
        case (let lo?, nil): " >= \(lo)"
        case (nil, let hi?): " <= \(hi)"
        case (let lo?, let hi?): " in \(lo)...\(hi)"
        }
    }
}
