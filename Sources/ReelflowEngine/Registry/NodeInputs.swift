import OrderedCollections
import ReelflowGraph

/// What an input of a running node holds: a literal from the graph, a value from an edge,
/// or a list/record of those.
public indirect enum InputValue: Sendable {
    case literal(Value)
    case port(PortValue)
    case list([InputValue])
    case record(OrderedDictionary<String, InputValue>)
}

/// The inputs of one node run, with typed accessors that name the input on failure.
public struct NodeInputs: Sendable {
    public var values: OrderedDictionary<String, InputValue>

    public init(_ values: OrderedDictionary<String, InputValue>) { self.values = values }

    public subscript(name: String) -> InputValue? { values[name] }

    public func has(_ name: String) -> Bool { values[name] != nil }

    /// The payload arriving on an edge, cast to `T`.
    public func port<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        switch try required(name) {
        case .port(let value): return try value.cast(T.self, input: name)
        case .literal(let value):
            if let v = value.payload as? T { return v }
            throw NodeInputError(input: name, message: "expected \(T.self), got literal \(value)")
        default: throw NodeInputError(input: name, message: "expected one \(T.self), got a list or record")
        }
    }

    public func int(_ name: String) throws -> Int { try port(name, as: Int.self) }
    public func double(_ name: String) throws -> Double {
        if let i = try? port(name, as: Int.self) { return Double(i) }
        return try port(name, as: Double.self)
    }
    public func string(_ name: String) throws -> String { try port(name, as: String.self) }
    public func bool(_ name: String) throws -> Bool { try port(name, as: Bool.self) }

    private func required(_ name: String) throws -> InputValue {
        guard let value = values[name] else {
            throw NodeInputError(input: name, message: "no value given")
        }
        return value
    }
}

extension Value {
    /// The Swift value a node sees for a literal: Int, Double, String (also for paths),
    /// Bool, [Any] or an ordered record.
    public var payload: any Sendable {
        switch self {
        case .int(let v): v
        case .float(let v): v
        case .string(let v), .path(let v): v
        case .bool(let v): v
        case .list(let items): items.map(\.payload)
        case .record(let fields): fields.mapValues(\.payload)
        }
    }
}
