import Foundation
import OrderedCollections
import ReelflowGraph

/// The scheduler's state for one run. Only the scheduling loop touches it; child tasks get
/// copies of what they need and report back through the task group.
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
        var key: Digest?
        /// Output name -> content digest.
        var digests: [String: Digest]?
        var values: NodeOutputs?
        var loading = false
        var wanted = false
        /// Needed consumers that have not yet reached a final state; values are dropped at 0.
        var pendingConsumers = 0
    }

    let graph: ResolvedGraph
    let order: [String]
    let targets: Set<String>
    let options: RunOptions
    var states: [String: NodeState] = [:]
    /// Node id -> needed consumers (unique), for releasing values early.
    var consumers: [String: [String]] = [:]
    var ran: [String] = []
    var cached: [String] = []
    let fingerprints = FingerprintMemo()

    init(graph: ResolvedGraph, order: [String], targets: Set<String>, options: RunOptions) {
        self.graph = graph
        self.order = order
        self.targets = targets
        self.options = options
        let needed = Set(order)
        for id in order {
            states[id] = NodeState()
            for dep in graph.nodes[id]!.dependencies where needed.contains(dep) {
                consumers[dep, default: []].append(id)
            }
        }
        for (id, list) in consumers { states[id]!.pendingConsumers = list.count }
        for id in targets { states[id]!.wanted = true }
    }

    func targetOutputs() -> [String: NodeOutputs] {
        var out: [String: NodeOutputs] = [:]
        for id in targets { if let values = states[id]?.values { out[id] = values } }
        return out
    }

    /// What a child task reports back.
    enum WorkResult: Sendable {
        case ran(node: String, outputs: NodeOutputs, digests: [String: Digest], seconds: Double)
        case loaded(node: String, outputs: NodeOutputs)
    }
}
