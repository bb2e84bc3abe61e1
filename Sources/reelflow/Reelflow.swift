import ArgumentParser
import CoreNodes
import ReelflowEngine

@main
struct Reelflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reelflow",
        abstract: "Run YAML node graphs for LTX video editing, with a per-node disk cache.",
        discussion: """
            Exit codes: 0 success; 1 a node failed; 2 the graph, a preset or an input file is \
            invalid; 3 an internal or cache error; 64 bad command-line usage; 130 interrupted.
            """,
        version: ReelflowVersion.current,
        subcommands: [
            RunCommand.self, ValidateCommand.self, ExplainCommand.self, NodesCommand.self,
            PresetsCommand.self, GraphCommand.self, FmtCommand.self, CacheCommand.self, InspectCommand.self,
        ])

    /// Every node type this build of reelflow knows.
    static let registry: NodeRegistry = {
        var registry = NodeRegistry()
        CoreNodes.register(into: &registry)
        return registry
    }()
}
