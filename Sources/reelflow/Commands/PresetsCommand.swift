import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowGraph

struct PresetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the node presets on the search path, or show one.",
        discussion: """
            Search order (first match wins): DIR/nodes/ beside the graph (with --graph), the \
            repository's nodes/, each --presets DIR, then each directory of REELFLOW_PRESET_PATH.
            """)

    @Argument(help: "A preset to show.")
    var name: String?

    @Option(help: ArgumentHelp("Also search the nodes/ folder beside this graph.", valueName: "file"))
    var graph: String?

    @Option(name: .customLong("presets"), help: ArgumentHelp("Another preset directory.", valueName: "dir"))
    var presetDirectories: [String] = []

    func run() async throws {
        let loader = GraphLoader(
            schemas: Reelflow.registry, presetDirectories: presetDirectories,
            environment: ProcessInfo.processInfo.environment)
        let library = loader.presetLibrary(forGraph: graph ?? FileManager.default.currentDirectoryPath + "/graph.yaml")
        do {
            guard let name else {
                let presets = try library.list()
                if presets.isEmpty { Terminal.printLine("no presets found in: " + library.searchPath.directories.joined(separator: ", ")) }
                let width = presets.map(\.name.count).max() ?? 0
                for preset in presets {
                    Terminal.printLine(preset.name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + "  \(preset.type)  \(preset.description ?? "")")
                }
                return
            }
            guard let info = try library.info(named: name) else {
                Terminal.printError("error: no preset named \(name) in: " + library.searchPath.directories.joined(separator: ", "))
                throw ExitCodes.invalidInput
            }
            Terminal.printLine("\(info.name): \(info.type)")
            if let description = info.description { Terminal.printLine("  \(description)") }
            Terminal.printLine("file: \(info.file)")
            for hidden in info.shadowed { Terminal.printLine("shadows: \(hidden)") }
            if let text = try? String(contentsOfFile: info.file, encoding: .utf8) {
                Terminal.printLine("---")
                Terminal.write(text.hasSuffix("\n") ? text : text + "\n")
            }
        } catch let diagnostics as GraphDiagnostics {
            Terminal.printError(diagnostics.description)
            throw ExitCodes.invalidInput
        }
    }
}
