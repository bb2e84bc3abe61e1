import OrderedCollections

/// A literal value in a graph after parsing: what a scalar input receives.
public enum Value: Hashable, Sendable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    /// An absolute, normalised file path (graph-relative paths are resolved on parse).
    case path(String)
    case list([Value])
    case record(OrderedDictionary<String, Value>)
}
