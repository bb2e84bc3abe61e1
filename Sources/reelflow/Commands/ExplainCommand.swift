import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say, per node, whether it is cached or will run, and what changed since its last run.")

    @OptionGroup var graphOptions: GraphOptions
    @OptionGroup var cacheOptions: CacheOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(name: .customLong("only"), help: ArgumentHelp("Explain only what this node needs.", valueName: "node"))
    var only: [String] = []

    func run() async throws {
        let registry = Reelflow.registry
        let graph = try graphOptions.load(registry: registry)
        let cache = try cacheOptions.open()
        let explanations: [NodeExplanation]
        do {
            explanations = try Executor(registry: registry, graph: graph)
                .explain(RunOptions(targets: only, cache: cache, settings: try deviceOptions.settings(activate: false)))
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.invalidInput
        }
        let width = explanations.map(\.node.count).max() ?? 0
        for item in explanations {
            let id = item.node.padding(toLength: width, withPad: " ", startingAt: 0)
            Terminal.printLine("\(id)  \(item.status.rawValue) (\(item.type))")
            for reason in item.reasons { Terminal.printLine(String(repeating: " ", count: width + 2) + "- " + reason) }
        }
    }
}
