import ArgumentParser
import OrderedCollections
import ReelflowGraph

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a graph's structure (Graphviz with --dot).")

    @OptionGroup var graphOptions: GraphOptions

    @Flag(help: "Print Graphviz DOT: `reelflow graph --dot G.yaml | dot -Tsvg > g.svg`.")
    var dot = false

    func run() async throws {
        let graph = try graphOptions.load(registry: Reelflow.registry)
        if dot {
            Terminal.write(graph.dot())
            return
        }
        for node in graph.nodes.values {
            let deps = node.dependencies
            Terminal.printLine("\(node.id) (\(node.schema.name))" + (deps.isEmpty ? "" : " <- " + deps.joined(separator: ", ")))
        }
    }
}
