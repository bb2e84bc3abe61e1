import ArgumentParser
import OrderedCollections
import ReelflowGraph

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a graph without running it: types, edges, ranges, files, cycles. Reports every error.")

    @OptionGroup var graphOptions: GraphOptions

    func run() async throws {
        let graph = try graphOptions.load(registry: Reelflow.registry)
        let targets = graph.defaultTargets
        Terminal.printLine(
            "\(graphOptions.graph): ok: \(graph.nodes.count) node\(graph.nodes.count == 1 ? "" : "s"), "
                + "\(graph.params.count) param\(graph.params.count == 1 ? "" : "s"), "
                + "outputs: \(targets.isEmpty ? "none" : targets.joined(separator: ", "))")
    }
}
