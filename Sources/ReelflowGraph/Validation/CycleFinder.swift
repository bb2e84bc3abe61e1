/// Finds cycles among a graph's edges with one iterative depth-first search (linear in
/// nodes plus edges, no recursion, so a 10,000-node chain cannot overflow the stack).
enum CycleFinder {
    /// One diagnostic per back edge found, each showing its cycle in data-flow order
    /// (`a -> b -> c -> a`: a feeds b, ...), starting at the cycle's earliest node in file
    /// order and reported at the reference that closes it.
    /// - Parameters:
    ///   - order: Node ids in file order.
    ///   - edges: For each consuming node, the nodes it reads from.
    static func cycles(order: [String], edges: [String: [EdgeReference]]) -> [GraphDiagnostic] {
        guard !edges.isEmpty else { return [] }
        var index: [String: Int] = [:]
        index.reserveCapacity(order.count)
        for (position, id) in order.enumerated() { index[id] = position }
        // dependencies[i] = (node read, reference) pairs of node i.
        let dependencies: [[(Int, EdgeReference)]] = order.map { id in
            (edges[id] ?? []).compactMap { reference in index[reference.from].map { ($0, reference) } }
        }
        enum State: UInt8 { case new, open, done }
        var state = [State](repeating: .new, count: order.count)
        var found: [GraphDiagnostic] = []
        var stack: [(node: Int, next: Int)] = []
        var positionOnStack = [Int](repeating: -1, count: order.count)
        for root in order.indices where state[root] == .new {
            stack.append((root, 0))
            state[root] = .open
            positionOnStack[root] = 0
            while let top = stack.last {
                let deps = dependencies[top.node]
                if top.next == deps.count {
                    state[top.node] = .done
                    positionOnStack[top.node] = -1
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let (target, _) = deps[top.next]
                switch state[target] {
                case .new:
                    state[target] = .open
                    positionOnStack[target] = stack.count
                    stack.append((target, 0))
                case .open:
                    // Dependency path: stack[start] reads ... reads top, and top reads target.
                    let start = positionOnStack[target]
                    let readers = stack[start...].map(\.node)
                    found.append(diagnostic(readers: readers, order: order, dependencies: dependencies))
                case .done:
                    break
                }
            }
        }
        return found
    }

    /// `readers[0]` is read by ... no: each `readers[k]` reads `readers[k+1]`, and the last
    /// reads `readers[0]`. Data flows the other way round.
    private static func diagnostic(readers: [Int], order: [String],
                                   dependencies: [[(Int, EdgeReference)]]) -> GraphDiagnostic {
        var flow = Array(readers.reversed())  // flow[k] feeds flow[k+1]; the last feeds flow[0]
        let first = flow.indices.min { flow[$0] < flow[$1] }!
        flow = Array(flow[first...] + flow[..<first])
        let path = (flow + [flow[0]]).map { order[$0] }.joined(separator: " -> ")
        // The reference closing the cycle: flow[0] reads flow.last.
        let closer = dependencies[flow[0]].first { $0.0 == flow[flow.count - 1] }!.1
        return closer.file.diagnostic(at: closer.mark, node: order[flow[0]], message: "cycle: \(path)")
    }
}
