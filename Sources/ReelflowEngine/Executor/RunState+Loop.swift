import Foundation
import OrderedCollections
import ReelflowGraph

extension RunState {
    /// The scheduling loop: key what can be keyed, spread demand for values, start loads
    /// and runs, then wait for one child to finish. Repeats until every target is satisfied.
    mutating func execute(registry: NodeRegistry, events: any EngineEventSink) async throws {
        let cache = options.cache
        try await withThrowingTaskGroup(of: WorkResult.self) { group in
            var running = 0
            var inFlight = 0
            while !allTargetsSatisfied {
                try Task.checkCancellation()
                try keyReadyNodes(registry: registry, events: events)
                spreadDemand()
                // Start cache loads for wanted values (they do not count against --jobs).
                for id in order {
                    let st = states[id]!
                    guard st.wanted, st.values == nil, !st.loading, st.phase == .hit else { continue }
                    states[id]!.loading = true
                    inFlight += 1
                    let job = LoadJob(node: graph.nodes[id]!, key: st.key!, cache: cache!, registry: registry)
                    group.addTask { .loaded(node: id, outputs: try job.load()) }
                }
                // Start runs whose inputs are all in memory.
                for id in order where running < options.jobs {
                    guard states[id]!.phase == .needsRun, inputsInMemory(id) else { continue }
                    let node = graph.nodes[id]!
                    states[id]!.phase = .running
                    running += 1
                    inFlight += 1
                    events.handle(.started(node: id, type: node.schema.name))
                    let job = RunJob(
                        node: node, type: registry.types[node.schema.name]!, inputs: assembleInputs(id),
                        key: states[id]!.key!, components: states[id]!.components!, cache: cache,
                        registry: registry, graphFile: graph.file, engineVersion: options.engineVersion,
                        events: events)
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
                case .loaded(let id, let outputs):
                    states[id]!.values = outputs
                    states[id]!.loading = false
                case .ran(let id, let outputs, let digests, let seconds):
                    running -= 1
                    finishRun(id, outputs: outputs, digests: digests, seconds: seconds, events: events)
                }
            }
        }
    }

    var allTargetsSatisfied: Bool {
        targets.allSatisfy { id in
            let st = states[id]!
            return st.phase == .done || (st.phase == .hit && (st.values != nil || !isMemoryOnly(id)))
        }
    }

    func isMemoryOnly(_ id: String) -> Bool { graph.nodes[id]!.schema.persistence == .memoryOnly }

    /// Nodes that must run want their inputs' values; a memory-only input that is wanted
    /// must itself run.
    mutating func spreadDemand() {
        for id in order.reversed() {
            let st = states[id]!
            if st.phase == .deferred && st.wanted { states[id]!.phase = .needsRun }
            guard states[id]!.phase == .needsRun else { continue }
            for dep in graph.nodes[id]!.dependencies { states[dep]!.wanted = true }
        }
        // A second pass catches memory-only nodes that became wanted above.
        for id in order where states[id]!.phase == .deferred && states[id]!.wanted {
            states[id]!.phase = .needsRun
            for dep in graph.nodes[id]!.dependencies { states[dep]!.wanted = true }
        }
    }

    func inputsInMemory(_ id: String) -> Bool {
        graph.nodes[id]!.dependencies.allSatisfy { states[$0]!.values != nil }
    }

    mutating func finishRun(
        _ id: String, outputs: NodeOutputs, digests: [String: Digest], seconds: Double,
        events: any EngineEventSink
    ) {
        let node = graph.nodes[id]!
        let previous = options.cache?.lastRun(graph: graph.file, node: id)
        let cutoff = previous != nil && digests.allSatisfy { previous?["output:\($0.key)"] == $0.value.hex }
        states[id]!.phase = .done
        states[id]!.values = outputs
        states[id]!.digests = digests
        ran.append(id)
        recordLastRun(id)
        events.handle(.finished(node: id, type: node.schema.name, seconds: seconds, cutoff: cutoff))
        if node.schema.isOutput { reportOutputs(id, outputs, events: events) }
        releaseInputs(of: id)
    }

    /// Drops input values nobody else needs (video-sized tensors must not pile up).
    mutating func releaseInputs(of id: String) {
        for dep in graph.nodes[id]!.dependencies {
            states[dep]!.pendingConsumers -= 1
            if states[dep]!.pendingConsumers <= 0, !targets.contains(dep), !isMemoryOnly(dep),
                options.cache != nil
            {
                states[dep]!.values = nil
            }
        }
    }

    func reportOutputs(_ id: String, _ outputs: NodeOutputs, events: any EngineEventSink) {
        for output in graph.nodes[id]!.schema.outputs {
            guard let value = outputs[output.name] else { continue }
            events.handle(.output(node: id, name: output.name, summary: String(describing: value)))
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
        for id in order where states[id]!.phase == .running {
            if let failure = error as? EngineError, case .nodeFailed(let node, _, _) = failure, node == id {
                continue
            }
            events.handle(.cancelled(node: id, type: graph.nodes[id]!.schema.name))
        }
        return error
    }
}
