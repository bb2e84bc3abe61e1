import OrderedCollections
import ReelflowGraph

/// An input of a node type, declared once: its schema entry and how the run body reads it.
/// A node file declares each input as a static `In`, lists the `spec`s in its schema and
/// reads values with `try inputs[Self.steps]`, so a name is never written twice.
///
///     static let steps = In<Int>.int("steps", min: 1, default: 8, doc: "Sampler steps.")
///     ...
///     let n = try inputs[Self.steps]
public struct In<Value: Sendable>: Sendable {
    public let spec: InputSpec
    let read: @Sendable (NodeInputs) throws -> Value

    public var name: String { spec.name }

    public init(spec: InputSpec, read: @escaping @Sendable (NodeInputs) throws -> Value) {
        self.spec = spec
        self.read = read
    }
}

/// An output of a node type, declared once; `Out.value(_:)` pairs it with a result.
public struct Out<Value: Sendable>: Sendable {
    public let spec: OutputSpec
    public var name: String { spec.name }

    public init(_ name: String, _ type: ValueType, doc: String) { spec = OutputSpec(name, type, doc: doc) }

    /// This output's entry in a node's results.
    public func value(_ value: Value) -> (String, any Sendable) { (spec.name, value) }
}

extension NodeInputs {
    /// The value of a declared input (a required input's value, or an optional one's `nil`).
    public subscript<T>(_ input: In<T>) -> T {
        get throws { try input.read(self) }
    }
}

/// A node's results from declared outputs: `NodeOutputs.of(Self.latent.value(x))`.
extension Dictionary where Key == String, Value == any Sendable {
    public static func of(_ entries: (String, any Sendable)...) -> [String: any Sendable] {
        Dictionary(entries, uniquingKeysWith: { _, _ in preconditionFailure("an output was given twice") })
    }
}

// MARK: - Scalar inputs

extension In where Value == Int {
    public static func int(_ name: String, min: Int? = nil, max: Int? = nil, default value: Int? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .int(min: min, max: max), default: value.map(Value_.int), doc: doc)) { try $0.int(name) }
    }
}

extension In where Value == Double {
    public static func float(_ name: String, min: Double? = nil, max: Double? = nil, default value: Double? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .float(min: min, max: max), default: value.map(Value_.float), doc: doc)) { try $0.double(name) }
    }
}

extension In where Value == String {
    public static func string(_ name: String, default value: String? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .string, default: value.map(Value_.string), doc: doc)) { try $0.string(name) }
    }

    /// One of a fixed set of strings.
    public static func choice(_ name: String, _ cases: [String], default value: String? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .enumeration(cases), default: value.map(Value_.string), doc: doc)) { try $0.string(name) }
    }

    /// A file path resolved relative to the graph; `mustExist` paths are fingerprinted for
    /// the cache key.
    public static func path(_ name: String, mustExist: Bool, doc: String) -> In {
        In(spec: InputSpec(name, .path(mustExist: mustExist), doc: doc)) { try $0.string(name) }
    }
}

extension In where Value == Bool {
    public static func bool(_ name: String, default value: Bool? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .bool, default: value.map(Value_.bool), doc: doc)) { try $0.bool(name) }
    }
}

/// `Value` is shadowed by the generic parameter inside `In`'s extensions.
public typealias Value_ = ReelflowGraph.Value

// MARK: - Optional inputs

extension In {
    /// An optional input: `nil` when the graph leaves it out.
    public static func optional<T: Sendable>(_ input: In<T>) -> In<T?> where Value == T? {
        var spec = input.spec
        spec.optional = true
        spec.defaultValue = nil
        let name = spec.name
        return In<T?>(spec: spec) { inputs in inputs.has(name) ? try input.read(inputs) : nil }
    }
}

// MARK: - Port inputs

extension In {
    /// A required input arriving along an edge of port type `type`, carrying a `Value`.
    public static func port(_ name: String, _ type: ValueType, doc: String) -> In {
        In(spec: InputSpec(name, type, doc: doc)) { try $0.port(name, as: Value.self) }
    }
}

// MARK: - Lists and records

extension In where Value == [OrderedDictionary<String, any Sendable>] {
    /// A list of records with the given fields (defaults filled in by the graph loader).
    public static func records(_ name: String, fields: [InputSpec], default value: [Value_]? = nil, doc: String) -> In {
        In(spec: InputSpec(name, .list(.record(fields)), default: value.map(Value_.list), doc: doc)) { inputs in
            guard let raw = inputs[name] else { throw NodeInputError(input: name, message: "no value given") }
            guard case .list(let items) = raw.flattenedLiteral else {
                throw NodeInputError(input: name, message: "expected a list of records")
            }
            return try items.enumerated().map { index, item in
                guard case .record(let fields) = item else {
                    throw NodeInputError(input: "\(name)[\(index)]", message: "expected a record")
                }
                return fields.mapValues { $0.payload }
            }
        }
    }
}

extension In where Value == [Double] {
    /// A list of numbers (integers are accepted and widened).
    public static func floats(_ name: String, doc: String) -> In {
        In(spec: InputSpec(name, .list(.float()), doc: doc)) { inputs in
            guard let raw = inputs[name] else { throw NodeInputError(input: name, message: "no value given") }
            guard case .list(let items) = raw.flattenedLiteral else {
                throw NodeInputError(input: name, message: "expected a list of numbers")
            }
            return try items.enumerated().map { index, item in
                switch item {
                case .float(let v): return v
                case .int(let v): return Double(v)
                default: throw NodeInputError(input: "\(name)[\(index)]", message: "expected a number, got \(item)")
                }
            }
        }
    }
}

extension InputValue {
    /// The literal this input holds, with lists and records of literals folded into one
    /// `Value` (edges inside lists keep their payload as a string-free placeholder: the
    /// list helpers above accept literals only).
    var flattenedLiteral: Value_? {
        switch self {
        case .literal(let v): return v
        case .port(let p):
            switch p.payload {
            case let v as Int: return .int(v)
            case let v as Double: return .float(v)
            case let v as String: return .string(v)
            case let v as Bool: return .bool(v)
            default: return nil
            }
        case .list(let items):
            var values: [Value_] = []
            for item in items {
                guard let v = item.flattenedLiteral else { return nil }
                values.append(v)
            }
            return .list(values)
        case .record(let fields):
            var out = OrderedDictionary<String, Value_>()
            for (k, v) in fields {
                guard let f = v.flattenedLiteral else { return nil }
                out[k] = f
            }
            return .record(out)
        }
    }
}
