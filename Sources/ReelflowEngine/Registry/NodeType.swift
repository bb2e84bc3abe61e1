import ReelflowGraph

/// A runnable node type: its schema plus the function that computes its outputs.
///
/// The run function gets the node's inputs and a context with a progress reporter. It must
/// be deterministic for the same inputs (results are cached by their key) and should call
/// `try Task.checkCancellation()` between steps of long work.
public struct NodeType: Sendable {
    public var schema: NodeSchema
    public var run: @Sendable (NodeInputs, NodeContext) async throws -> NodeOutputs
    /// For output (Save-like) nodes: whether a cached result still stands, e.g. the file
    /// it wrote still exists. A `false` makes the node run again.
    public var isStillValid: @Sendable (NodeOutputs) -> Bool
    /// Rules on the inputs known when the graph loads (see `SchemaProvider.checkLiterals`).
    public var checkLiterals: @Sendable ([String: Value]) -> [LiteralProblem]

    public init(
        schema: NodeSchema,
        isStillValid: @escaping @Sendable (NodeOutputs) -> Bool = { _ in true },
        checkLiterals: @escaping @Sendable ([String: Value]) -> [LiteralProblem] = { _ in [] },
        run: @escaping @Sendable (NodeInputs, NodeContext) async throws -> NodeOutputs
    ) {
        self.schema = schema
        self.run = run
        self.isStillValid = isStillValid
        self.checkLiterals = checkLiterals
    }
}

/// A node's outputs by output name.
public typealias NodeOutputs = [String: any Sendable]

/// What a running node may use besides its inputs.
public struct NodeContext: Sendable {
    /// The node's id in the graph.
    public var nodeID: String
    /// Reports step progress (sampler steps, frames) to the CLI.
    public var progress: ProgressReporter
    /// The run settings the node's type reads (`NodeSchema.settings`) that this run gives.
    public var settings: [String: String]

    public init(nodeID: String, progress: ProgressReporter, settings: [String: String] = [:]) {
        self.nodeID = nodeID
        self.progress = progress
        self.settings = settings
    }
}

/// Step progress of one node. Cheap to call often; the renderer throttles.
public struct ProgressReporter: Sendable {
    let emit: @Sendable (_ completed: Int, _ total: Int, _ message: String?) -> Void

    public init(_ emit: @escaping @Sendable (Int, Int, String?) -> Void) { self.emit = emit }

    /// Reports `completed` of `total` steps, with an optional short message.
    public func report(_ completed: Int, of total: Int, _ message: String? = nil) {
        emit(completed, total, message)
    }

    /// A reporter that drops everything.
    public static let silent = ProgressReporter { _, _, _ in }
}
