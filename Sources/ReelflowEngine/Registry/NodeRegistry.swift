import ReelflowGraph

/// The node types and port codecs a process knows. Schemas come from here for validation,
/// `reelflow nodes` and cache keys; run functions for execution.
public struct NodeRegistry: SchemaProvider {
    public private(set) var types: [String: NodeType] = [:]
    public private(set) var codecs: [String: PortCodec] = [:]

    public init() {
        for (type, codec) in BuiltinCodecs.scalars { codecs[type] = codec }
    }

    /// Adds a node type. A second registration of the same name is a programming error.
    public mutating func register(_ type: NodeType) {
        precondition(types[type.schema.name] == nil, "node type \(type.schema.name) registered twice")
        types[type.schema.name] = type
    }

    /// Adds the cache codec of a port type (`LATENT`, `TEXT`, ...).
    public mutating func register(codec: PortCodec, for portType: String) {
        codecs[portType] = codec
    }

    public func schema(named name: String) -> NodeSchema? { types[name]?.schema }

    public var schemaNames: [String] { types.keys.sorted() }

    public func checkLiterals(type: String, _ literals: [String: Value]) -> [LiteralProblem] {
        types[type]?.checkLiterals(literals) ?? []
    }

    /// The codec for values of `type`, used when a persisted node's outputs are cached.
    public func codec(for type: ValueType) -> PortCodec? { codecs[type.kindName] }
}
