/// What the executor reports while it works; the CLI renders these as a TTY display,
/// plain lines, or NDJSON (`--json`).
public enum EngineEvent: Sendable {
    /// The nodes this run needs, in plan order.
    case planned(nodes: [PlannedNode])
    /// A node's result was found in the cache (`reused`), or it is memory-only and was not
    /// needed (`skipped`).
    case cached(node: String, type: String)
    case started(node: String, type: String)
    case progress(node: String, completed: Int, total: Int, message: String?)
    case finished(node: String, type: String, seconds: Double, cutoff: Bool)
    case failed(node: String, type: String, message: String)
    case cancelled(node: String, type: String)
    /// A cache entry failed its check; the node will be recomputed and the entry replaced.
    case damaged(node: String, reason: String)
    /// Output of an output node (a file written, a value computed).
    case output(node: String, name: String, summary: String)
    /// The run ended: `error` is nil on success, else why it stopped (a node's failure, or
    /// "cancelled"). Sent on failure too, so a consumer of events always sees the end.
    case runFinished(ran: Int, cached: Int, seconds: Double, error: String? = nil)

    public struct PlannedNode: Sendable, Equatable {
        public var id: String
        public var type: String
    }
}

/// Receives engine events. Called from many tasks; implementations synchronise.
public protocol EngineEventSink: Sendable {
    func handle(_ event: EngineEvent)
}
