import ArgumentParser
import CoreNodes
import LTXNodes
import MediaNodes
import ReelflowEngine
import ReelflowGraph
import Tensors

@main
struct Reelflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reelflow",
        abstract: "Run YAML node graphs for LTX video editing, with a per-node disk cache.",
        discussion: """
            Exit codes: 0 success; 1 a node failed; 2 the graph, a preset or an input file is \
            invalid; 3 an internal or cache error; 64 bad command-line usage; 130 interrupted; \
            143 terminated (SIGTERM).
            """,
        version: ReelflowVersion.current,
        subcommands: [
            RunCommand.self, ValidateCommand.self, ExplainCommand.self, NodesCommand.self,
            PresetsCommand.self, GraphCommand.self, FmtCommand.self, CacheCommand.self, InspectCommand.self,
            DemoCommand.self, RandomModelCommand.self, DevicesCommand.self,
        ])

    /// ArgumentParser's entry point, after stopping OpenBLAS's worker threads: they start
    /// with the process and spin for about 0.1 s of CPU each, which a command that multiplies
    /// no matrix (decoding a video, a cached rerun) would otherwise pay on a small machine.
    /// BLAS starts them again when a node needs them.
    static func main() async {
        TensorThreads.repairBLASKernelChoice()
        TensorThreads.tuneHostAllocator()
        TensorThreads.stopIdleBLASThreads()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// The node types by the target that defines them, for docs/nodes.md.
    static let nodeGroups: [(title: String, names: [String])] = [
        ("Media nodes", MediaNodes.types.map(\.schema.name)),
        ("LTX nodes", LTXNodes.types.map(\.schema.name)),
        ("Text and control nodes", CoreNodes.types.map(\.schema.name)),
    ]

    /// Every node type this build of reelflow knows.
    static let registry: NodeRegistry = {
        var registry = NodeRegistry()
        CoreNodes.register(into: &registry)
        MediaNodes.register(into: &registry)
        LTXNodes.register(into: &registry)
        return registry
    }()
}
