import Foundation
import HeapModule
import OrderedCollections
import ReelflowGraph

extension RunState {
    /// The scheduling loop: key what can be keyed, start the loads and runs that became
    /// possible, then wait for one child to finish. Repeats until every target is satisfied.
    mutating func execute(registry: NodeRegistry, events: any EngineEventSink) async throws {
        let cache = options.cache
        try await withThrowingTaskGroup(of: WorkResult.self) { group in
            var running = 0
            var inFlight = 0
            while true {
                try Task.checkCancellation()
                while let i = toKey.popMin() { try keyNode(i, registry: registry, events: events) }
                for i in toLoad {
                    let job = LoadJob(node: nodes[i], key: states[i].components!.key, cache: cache!, registry: registry)
                    inFlight += 1
                    group.addTask { job.load(index: i) }
                }
                toLoad.removeAll()
                while running < options.jobs, let i = runnable.popMin() {
                    let node = nodes[i]
                    states[i].phase = .running
                    running += 1
                    inFlight += 1
                    events.handle(.started(node: node.id, type: node.schema.name))
                    let job = RunJob(
                        index: i, node: node, type: registry.types[node.schema.name]!, inputs: assembleInputs(i),
                        key: states[i].components!.key, components: states[i].components!, cache: cache,
                        quickCache: quickCache, registry: registry, graphFile: graph.file, engineVersion: options.engineVersion,
                        settings: options.settings, events: events)
                    group.addTask { try await job.run() }
                }
                if allTargetsSatisfied { break }
                guard inFlight > 0 else {
                    preconditionFailure("scheduler stalled: nothing runs and targets are not satisfied")
                }
                let result: WorkResult?
                do {
                    result = try await group.next()
                } catch {
                    group.cancelAll()
                    throw await drain(&group, after: error, events: events)
                }
                inFlight -= 1
                switch result! {
                case .loaded(let i, let outputs):
                    states[i].values = outputs
                    states[i].loading = false
                    valuesArrived(i)
                case .ran(let i, let outputs, let digests, let seconds):
                    running -= 1
                    finishRun(i, outputs: outputs, digests: digests, seconds: seconds, events: events)
                case .damaged(let i, let reason):
                    recompute(i, reason: reason, events: events)
                }
            }
        }
    }

    /// A hit whose entry turned out unusable when loaded: report it, naming the node, and
    /// run the node in this run (its commit replaces the entry). Its dependencies are wanted
    /// again: their values may have been dropped when this node counted as finished.
    /// Consumers were keyed on the recorded output digests, which a deterministic node
    /// reproduces.
    mutating func recompute(_ i: Int, reason: String, events: any EngineEventSink) {
        let node = nodes[i]
        events.handle(.damaged(node: node.id, reason: reason + "; running it again"))
        states[i].loading = false
        cached.removeAll { $0 == node.id }
        states[i].phase = .needsRun
        for d in deps[i] {
            states[d].pendingConsumers += 1  // finishRun counts this consumer again
            if !states[d].wanted {
                want(d)
            } else if states[d].values == nil, states[d].phase == .hit || states[d].phase == .done {
                requestLoad(d)
            }
        }
        checkRunnable(i)
    }

    var allTargetsSatisfied: Bool {
        targets.allSatisfy { states[$0].phase == .done || states[$0].phase == .hit }
    }

    func isMemoryOnly(_ i: Int) -> Bool { nodes[i].schema.persistence == .memoryOnly }

    // MARK: Transitions

    /// Every consumer with no other unknown input becomes ready to key.
    mutating func digestsKnown(_ i: Int) {
        for c in consumers[i] {
            states[c].unknownInputs -= 1
            if states[c].unknownInputs == 0 { toKey.insert(c) }
        }
    }

    /// A node that must run wants its inputs' values: a hit is loaded, a deferred memory-only
    /// node must run itself. A node not yet keyed acts on `wanted` when it is keyed.
    mutating func want(_ i: Int) {
        guard !states[i].wanted else { return }
        states[i].wanted = true
        switch states[i].phase {
        case .hit: requestLoad(i)
        case .deferred: needsRun(i)
        default: break
        }
    }

    mutating func requestLoad(_ i: Int) {
        guard states[i].values == nil, !states[i].loading else { return }
        states[i].loading = true
        toLoad.append(i)
    }

    mutating func needsRun(_ i: Int) {
        states[i].phase = .needsRun
        for d in deps[i] { want(d) }
        checkRunnable(i)
    }

    mutating func checkRunnable(_ i: Int) {
        guard states[i].phase == .needsRun, !states[i].queued,
            deps[i].allSatisfy({ states[$0].values != nil })
        else { return }
        states[i].queued = true
        runnable.insert(i)
    }

    mutating func valuesArrived(_ i: Int) {
        for c in consumers[i] where states[c].phase == .needsRun { checkRunnable(c) }
    }

    mutating func finishRun(
        _ i: Int, outputs: NodeOutputs, digests: [String: Digest], seconds: Double, events: any EngineEventSink
    ) {
        let node = nodes[i]
        let previous = history.components(of: node.id)
        let cutoff = previous != nil && digests.allSatisfy { previous?["output:\($0.key)"] == $0.value.hex }
        let announce = states[i].digests == nil
        states[i].phase = .done
        states[i].values = outputs
        states[i].digests = digests
        ran.append(node.id)
        recordLastRun(i)
        events.handle(.finished(node: node.id, type: node.schema.name, seconds: seconds, cutoff: cutoff))
        if node.schema.isOutput { reportOutputs(i, outputs, events: events) }
        if announce { digestsKnown(i) }
        valuesArrived(i)
        for d in deps[i] { consumerFinished(d) }
    }

    /// One needed consumer of `i` reached a final state (ran, or hit the cache). When none
    /// is left, `i`'s values are dropped (video-sized tensors must not pile up); targets and
    /// memory-only handles are kept.
    mutating func consumerFinished(_ i: Int) {
        states[i].pendingConsumers -= 1
        if states[i].pendingConsumers <= 0, !isTarget[i], !isMemoryOnly(i), options.cache != nil {
            states[i].values = nil
        }
    }

    func reportOutputs(_ i: Int, _ outputs: NodeOutputs, events: any EngineEventSink) {
        for output in nodes[i].schema.outputs {
            guard let value = outputs[output.name] else { continue }
            events.handle(.output(node: nodes[i].id, name: output.name, summary: String(describing: value)))
        }
    }

    /// Waits for the other children after a failure, and returns the error to throw: the
    /// first node failure, or the cancellation.
    func drain(
        _ group: inout ThrowingTaskGroup<WorkResult, any Error>, after error: any Error,
        events: any EngineEventSink
    ) async -> any Error {
        while true {
            do {
                guard try await group.next() != nil else { break }
            } catch {
                continue
            }
        }
        var failed: String?
        if let failure = error as? EngineError, case .nodeFailed(let node, _, _) = failure { failed = node }
        for (i, st) in states.enumerated() where st.phase == .running && nodes[i].id != failed {
            events.handle(.cancelled(node: nodes[i].id, type: nodes[i].schema.name))
        }
        return error
    }
}
