import OrderedCollections

extension ResolvedGraph {
    /// The nodes `reelflow run` computes when no `--only` is given: output (Save-like)
    /// nodes, in file order.
    public var defaultTargets: [String] {
        nodes.values.filter { $0.schema.isOutput }.map(\.id)
    }

    /// The nodes needed to compute `targets`, in a deterministic topological order: each
    /// node after every node it reads, and among nodes ready at the same time, the one
    /// declared first in the file first. Runs in O((V + E) log V).
    /// - Parameter targets: Node ids (`defaultTargets`, or the ids given to `--only`).
    /// - Throws: `GraphDiagnostics` for an unknown target (with did-you-mean), an edge to
    ///   a node not in the graph, or a cycle (graphs from `GraphLoader` have none).
    public func plan(targets: [String]) throws(GraphDiagnostics) -> [String] {
        var problems: [GraphDiagnostic] = []
        var index: [String: Int] = [:]
        index.reserveCapacity(nodes.count)
        for (position, id) in nodes.keys.enumerated() { index[id] = position }
        // Needed set: walk dependencies back from the targets.
        var needed = [Bool](repeating: false, count: nodes.count)
        var work: [Int] = []
        for target in targets {
            guard let position = index[target] else {
                problems.append(GraphDiagnostic(location: nil, message: "no node '\(target)' in \(file)"
                                                + Suggestions.didYouMean(target, in: nodes.keys)))
                continue
            }
            if !needed[position] { needed[position] = true; work.append(position) }
        }
        var dependencies = [[Int]](repeating: [], count: nodes.count)
        var read: [String] = []
        while let position = work.popLast() {
            let node = nodes.values[position]
            read.removeAll(keepingCapacity: true)
            for binding in node.inputs.values { binding.appendEdgeSources(to: &read) }
            for dependency in read {
                guard let target = index[dependency] else {
                    problems.append(GraphDiagnostic(location: node.location, nodeID: node.id,
                                                    message: "edge to missing node '\(dependency)'"))
                    continue
                }
                // A node read twice counts twice on both sides of Kahn's bookkeeping: harmless.
                dependencies[position].append(target)
                if !needed[target] { needed[target] = true; work.append(target) }
            }
        }
        guard problems.isEmpty else { throw GraphDiagnostics(problems) }
        // Kahn's algorithm over the needed nodes, a min-heap on file position as tie-breaker.
        var waitingOn = [Int](repeating: 0, count: nodes.count)
        var readers = [[Int]](repeating: [], count: nodes.count)
        var ready = MinHeap()
        for position in needed.indices where needed[position] {
            waitingOn[position] = dependencies[position].count
            for dependency in dependencies[position] { readers[dependency].append(position) }
            if waitingOn[position] == 0 { ready.push(position) }
        }
        var order: [String] = []
        while let position = ready.pop() {
            order.append(nodes.keys[position])
            for reader in readers[position] {
                waitingOn[reader] -= 1
                if waitingOn[reader] == 0 { ready.push(reader) }
            }
        }
        let neededCount = needed.lazy.filter { $0 }.count
        if order.count < neededCount {
            let stuck = needed.indices.filter { needed[$0] && waitingOn[$0] > 0 }.map { nodes.keys[$0] }
            throw GraphDiagnostics(message: "\(file): the graph has a cycle through \(stuck.joined(separator: ", "))")
        }
        return order
    }
}

/// A binary min-heap of node positions.
struct MinHeap {
    private var items: [Int] = []

    mutating func push(_ item: Int) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}

extension Binding {
    /// Appends the node of every edge inside, duplicates included (cheaper than
    /// `ResolvedNode.dependencies` where duplicates do no harm).
    func appendEdgeSources(to nodes: inout [String]) {
        switch self {
        case .literal: break
        case .edge(let node, _): nodes.append(node)
        case .list(let items): for item in items { item.appendEdgeSources(to: &nodes) }
        case .record(let fields): for field in fields.values { field.appendEdgeSources(to: &nodes) }
        }
    }
}
