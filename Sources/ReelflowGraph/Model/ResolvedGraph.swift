import OrderedCollections

/// A graph after parsing, preset merging, `$param` substitution and validation:
/// what the engine plans and runs. Every node's type exists, every edge is type-checked,
/// every literal is in range, and node order is file order (deterministic planning).
public struct ResolvedGraph: Sendable {
    /// The graph file (absolute path), or a label for graphs built in memory.
    public var file: String
    public var description: String?
    /// Final parameter values after `--set` overrides, in declaration order.
    public var params: OrderedDictionary<String, Value>
    public var nodes: OrderedDictionary<String, ResolvedNode>

    public init(file: String, description: String? = nil,
                params: OrderedDictionary<String, Value> = [:],
                nodes: OrderedDictionary<String, ResolvedNode>) {
        self.file = file
        self.description = description
        self.params = params
        self.nodes = nodes
    }
}

/// One node of a resolved graph.
public struct ResolvedNode: Sendable {
    public var id: String
    public var schema: NodeSchema
    /// The preset it came from, if any.
    public var preset: String?
    /// One binding per input the node receives (defaults filled in; optional inputs left
    /// out when not given), in the schema's input order.
    public var inputs: OrderedDictionary<String, Binding>
    /// Where the node is declared (its id key), for messages.
    public var location: SourceLocation?

    public init(id: String, schema: NodeSchema, preset: String? = nil,
                inputs: OrderedDictionary<String, Binding>, location: SourceLocation? = nil) {
        self.id = id
        self.schema = schema
        self.preset = preset
        self.inputs = inputs
        self.location = location
    }

    /// The ids of the nodes this node reads from, in input order, without duplicates.
    public var dependencies: [String] {
        var seen = OrderedSet<String>()
        for binding in inputs.values { binding.collectEdges(into: &seen) }
        return Array(seen)
    }
}

/// What an input receives.
public indirect enum Binding: Hashable, Sendable {
    case literal(Value)
    /// The output `output` of node `node`.
    case edge(node: String, output: String)
    /// A list whose items may mix literals and edges (e.g. a list of LoRA records).
    case list([Binding])
    case record(OrderedDictionary<String, Binding>)

    func collectEdges(into set: inout OrderedSet<String>) {
        switch self {
        case .literal: break
        case .edge(let node, _): set.append(node)
        case .list(let items): for item in items { item.collectEdges(into: &set) }
        case .record(let fields): for field in fields.values { field.collectEdges(into: &set) }
        }
    }
}
