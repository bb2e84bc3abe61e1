import Foundation
import HeapModule
import OrderedCollections
import ReelflowGraph

/// The scheduler's state for one run. Only the scheduling loop touches it; child tasks get
/// copies of what they need and report back through the task group.
///
/// Nodes are numbered by plan position and every transition touches only the node and its
/// neighbours (counters of unknown input digests, a ready heap ordered by plan position), so
/// a run costs O(nodes + edges), whatever the graph's size.
struct RunState {
    enum Phase: Equatable {
        /// Some input digest is still unknown.
        case waiting
        /// Found in the cache: output digests known, values loadable.
        case hit
        /// Memory-only and not (yet) needed by anything that runs.
        case deferred
        /// Must run once its inputs' values are available.
        case needsRun
        case running
        /// Ran in this process.
        case done
    }

    struct NodeState {
        var phase = Phase.waiting
        var components: KeyComponents?
        var digests: [String: Digest]?
        var values: NodeOutputs?
        var loading = false
        var wanted = false
        var queued = false
        /// Inputs whose content digest is not known yet; the node is keyed at 0.
        var unknownInputs = 0
        /// Needed consumers that have not yet reached a final state; values are dropped at 0.
        var pendingConsumers = 0
    }

    let graph: ResolvedGraph
    let order: [String]
    let nodes: [ResolvedNode]
    /// Unique needed dependencies and consumers, by plan position.
    let deps: [[Int]]
    let consumers: [[Int]]
    let targets: [Int]
    let isTarget: [Bool]
    let options: RunOptions
    var states: [NodeState]
    let indexOf: [String: Int]

    /// Nodes whose input digests are all known, waiting to be keyed.
    var toKey = Heap<Int>()
    /// Cache loads to start.
    var toLoad: [Int] = []
    /// Nodes that need to run and have every input value, by plan position.
    var runnable = Heap<Int>()

    /// Key components of each node's last run (this run's, as nodes are keyed).
    var history: RunHistory
    var historyChanged = false
    /// The same cache without `fsync`, for results of nodes quicker to recompute than to sync.
    let quickCache: CacheStore?
    var ran: [String] = []
    var cached: [String] = []
    let fingerprints = FingerprintMemo()

    init(graph: ResolvedGraph, order: [String], targets: [String], options: RunOptions) {
        self.graph = graph
        self.order = order
        self.options = options
        history = options.cache?.runHistory(graph: graph.file) ?? RunHistory(graph: graph.file)
        quickCache = options.cache.flatMap { try? CacheStore(root: $0.root, maxBytes: $0.maxBytes, durable: false,
                                                                    knownEncodings: $0.knownEncodings) }
        var indexOf: [String: Int] = [:]
        for (i, id) in order.enumerated() { indexOf[id] = i }
        self.indexOf = indexOf
        nodes = order.map { graph.nodes[$0]! }
        let deps = nodes.map { $0.dependencies.compactMap { indexOf[$0] } }
        var consumers = [[Int]](repeating: [], count: order.count)
        for (i, list) in deps.enumerated() { for d in list { consumers[d].append(i) } }
        self.deps = deps
        self.consumers = consumers
        self.targets = targets.compactMap { indexOf[$0] }
        var isTarget = [Bool](repeating: false, count: order.count)
        for t in self.targets { isTarget[t] = true }
        self.isTarget = isTarget
        states = (0..<order.count).map { i in
            var st = NodeState()
            st.unknownInputs = deps[i].count
            st.pendingConsumers = consumers[i].count
            return st
        }
        toKey = Heap((0..<order.count).filter { deps[$0].isEmpty })
    }

    func targetOutputs() -> [String: NodeOutputs] {
        var out: [String: NodeOutputs] = [:]
        for t in targets { if let values = states[t].values { out[order[t]] = values } }
        return out
    }

    /// What a child task reports back.
    enum WorkResult: Sendable {
        case ran(node: Int, outputs: NodeOutputs, digests: [String: Digest], seconds: Double)
        case loaded(node: Int, outputs: NodeOutputs)
        /// A cached entry could not be loaded after all (a blob altered on disk, an
        /// unreadable encoding): the node is recomputed in this run.
        case damaged(node: Int, reason: String)
    }
}
