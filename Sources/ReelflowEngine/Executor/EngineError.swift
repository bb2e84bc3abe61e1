/// Errors of a run. `nodeFailed` wraps a node's own error with the node id and type
/// (llbuild2's habit), so the user always knows where it happened.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    case nodeFailed(node: String, type: String, message: String)
    case unknownTarget(String, suggestion: String?)
    case noTargets(file: String)
    case missingCodec(node: String, type: String, port: String)
    case cache(String)

    public var description: String {
        switch self {
        case .nodeFailed(let node, let type, let message):
            "node \(node) (\(type)) failed: \(message)"
        case .unknownTarget(let name, let suggestion):
            "no node named \(name) in the graph" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .noTargets(let file):
            "\(file) has no output node (such as Save) to run; name one with --only NODE"
        case .missingCodec(let node, let type, let port):
            "node \(node) (\(type)) is cached but port type \(port) has no cache codec registered"
        case .cache(let message):
            "cache: \(message)"
        }
    }

    /// True for faults of the user's input (graph, arguments, files) rather than the engine.
    public var isUserError: Bool {
        switch self {
        case .nodeFailed, .unknownTarget, .noTargets: true
        case .missingCodec, .cache: false
        }
    }
}
