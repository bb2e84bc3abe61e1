/// Finds cycles among a graph's edges with one iterative depth-first search (linear in
/// nodes plus edges, no recursion, so a 10,000-node chain cannot overflow the stack).
enum CycleFinder {
    /// One diagnostic per back edge found, each showing its cycle in data-flow order
    /// (`a -> b -> c -> a`: a feeds b, ...), starting at the cycle's earliest node in file
    /// order and reported at the reference that closes it.
    /// - Parameters:
    ///   - order: Node ids in file order.
    ///   - edges: For each node position, the edges it reads.
    static func cycles(order: [String], edges: [[EdgeReference]]) -> [GraphDiagnostic] {
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
                let reads = edges[top.node]
                if top.next == reads.count {
                    state[top.node] = .done
                    positionOnStack[top.node] = -1
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let target = reads[top.next].from
                switch state[target] {
                case .new:
                    state[target] = .open
                    positionOnStack[target] = stack.count
                    stack.append((target, 0))
                case .open:
                    // stack[start] reads ... reads top, and top reads target == stack[start].
                    let readers = stack[positionOnStack[target]...].map(\.node)
                    found.append(diagnostic(readers: readers, order: order, edges: edges))
                case .done:
                    break
                }
            }
        }
        return found
    }

    /// Each `readers[k]` reads `readers[k+1]`, and the last reads `readers[0]`; data flows
    /// the other way round.
    private static func diagnostic(readers: [Int], order: [String], edges: [[EdgeReference]]) -> GraphDiagnostic {
        var flow = Array(readers.reversed())  // flow[k] feeds flow[k+1]; the last feeds flow[0]
        let first = flow.indices.min { flow[$0] < flow[$1] }!
        flow = Array(flow[first...] + flow[..<first])
        let path = (flow + [flow[0]]).map { order[$0] }.joined(separator: " -> ")
        // The reference closing the cycle: flow[0] reads flow.last.
        let closer = edges[flow[0]].first { $0.from == flow[flow.count - 1] }!
        return closer.file.diagnostic(at: closer.mark, node: order[flow[0]], message: "cycle: \(path)")
    }
}
