/// One input of a node type (or one field of a record).
public struct InputSpec: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    /// Used when the graph gives no value. `nil` makes the input required,
    /// unless `optional` is set.
    public var defaultValue: Value?
    /// An optional input may be left out and has no default (the node sees no value).
    public var optional: Bool
    /// One line for `reelflow nodes TYPE`.
    public var doc: String

    public init(_ name: String, _ type: ValueType, default defaultValue: Value? = nil,
                optional: Bool = false, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.optional = optional
        self.doc = doc
    }

    public var isRequired: Bool { defaultValue == nil && !optional }
}

/// One output of a node type.
public struct OutputSpec: Hashable, Sendable {
    public var name: String
    public var type: ValueType
    public var doc: String

    public init(_ name: String, _ type: ValueType, doc: String) {
        self.name = name
        self.type = type
        self.doc = doc
    }
}

/// Where a node's outputs live once computed.
public enum Persistence: String, Hashable, Sendable {
    /// Written to the on-disk cache (tensors, media, small values).
    case persisted
    /// Held in memory for the life of the process only (model handles).
    case memoryOnly
}

/// The static description of a node type: everything validation, planning,
/// `reelflow nodes` and the cache key need. The engine pairs it with a run function.
public struct NodeSchema: Hashable, Sendable {
    /// The YAML `type:` name, e.g. `LoadVideo`.
    public var name: String
    /// Bumped whenever the node's results change for the same inputs; part of the cache key.
    public var version: Int
    /// One paragraph for `reelflow nodes`.
    public var doc: String
    public var inputs: [InputSpec]
    public var outputs: [OutputSpec]
    public var persistence: Persistence
    /// Output nodes (Save-like) are the default targets of `reelflow run`.
    public var isOutput: Bool
    /// Run settings this type reads (`RunOptions.settings`, e.g. `device`), not graph inputs:
    /// a setting given to a run becomes part of the cache key of each node that reads it.
    public var settings: [String]

    public init(name: String, version: Int, doc: String, inputs: [InputSpec], outputs: [OutputSpec],
                persistence: Persistence = .persisted, isOutput: Bool = false, settings: [String] = []) {
        self.name = name
        self.version = version
        self.doc = doc
        self.inputs = inputs
        self.outputs = outputs
        self.persistence = persistence
        self.isOutput = isOutput
        self.settings = settings
    }

    public func input(named name: String) -> InputSpec? { inputs.first { $0.name == name } }
    public func output(named name: String) -> OutputSpec? { outputs.first { $0.name == name } }
}

/// Looks node schemas up by type name. The engine's registry conforms.
public protocol SchemaProvider: Sendable {
    func schema(named name: String) -> NodeSchema?
    /// All type names, for did-you-mean suggestions and `reelflow nodes`.
    var schemaNames: [String] { get }
    /// A node type's own rules on the inputs whose values are known when the graph is
    /// loaded (literals and params), beyond their types and bounds: a size the model cannot
    /// take is a validation error, not a failure minutes into a run.
    func checkLiterals(type: String, _ literals: [String: Value]) -> [LiteralProblem]
}

extension SchemaProvider {
    public func checkLiterals(type: String, _ literals: [String: Value]) -> [LiteralProblem] { [] }
}

/// What a node type's literal check found wrong with one input.
public struct LiteralProblem: Sendable, Equatable {
    public var input: String
    public var message: String

    public init(input: String, message: String) {
        self.input = input
        self.message = message
    }
}
