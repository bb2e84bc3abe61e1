/// How `Executor.run` behaves.
public struct RunOptions: Sendable {
    /// Nodes to bring up to date. Empty means the graph's output nodes (`isOutput`).
    public var targets: [String]
    /// How many nodes may run at once. Results are identical for any value.
    public var jobs: Int
    /// The disk cache, or nil for `--no-cache` (every needed node runs; nothing is stored).
    public var cache: CacheStore?
    /// Recorded in each cache entry's provenance.
    public var engineVersion: String
    /// Values that are not part of the graph but change what some nodes compute, such as
    /// `device` (`reelflow run --device cuda`). A node type lists the ones it reads
    /// (`NodeSchema.settings`); each given setting it reads is part of its cache key, and it
    /// sees them in `NodeContext.settings`. Settings not given leave the keys as they were.
    public var settings: [String: String]

    public init(targets: [String] = [], jobs: Int = 1, cache: CacheStore? = nil,
                engineVersion: String = ReelflowVersion.current, settings: [String: String] = [:]) {
        self.targets = targets
        self.jobs = max(1, jobs)
        self.cache = cache
        self.engineVersion = engineVersion
        self.settings = settings
    }
}

/// The engine's version, recorded in provenance.
public enum ReelflowVersion {
    public static let current = "0.1.0"
}

/// What a finished run did.
public struct RunSummary: Sendable {
    /// Nodes whose run function was called, in completion order.
    public var ran: [String]
    /// Nodes served from the cache.
    public var cached: [String]
    /// Outputs of the target nodes, by node id then output name.
    public var outputs: [String: NodeOutputs]
    public var seconds: Double
}
