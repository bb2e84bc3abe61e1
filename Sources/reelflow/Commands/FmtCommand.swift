import ArgumentParser
import Foundation
import ReelflowGraph
import ReelflowIO

struct FmtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Rewrite graph files canonically (key order, quoting, indentation; comments kept).")

    @Argument(help: "Graph files to format.")
    var graphs: [String]

    @Flag(help: "Change nothing; exit 1 and list the files that are not formatted.")
    var check = false

    @Flag(name: .customLong("stdout"), help: "Print the formatted graph instead of rewriting the file.")
    var toStdout = false

    @Option(name: .customLong("presets"), help: ArgumentHelp("Another preset directory.", valueName: "dir"))
    var presetDirectories: [String] = []

    func run() async throws {
        let formatter = GraphFormatter(
            schemas: Reelflow.registry, presetDirectories: presetDirectories,
            environment: ProcessInfo.processInfo.environment)
        var unformatted: [String] = []
        for path in graphs {
            let formatted: String
            do {
                formatted = try formatter.format(file: path)
            } catch {
                Terminal.printError(error.description)
                throw ExitCodes.invalidInput
            }
            if toStdout {
                Terminal.write(formatted)
                continue
            }
            let current = try? String(contentsOfFile: path, encoding: .utf8)
            guard current != formatted else { continue }
            if check {
                unformatted.append(path)
                continue
            }
            try AtomicFileWriter.write(to: URL(fileURLWithPath: path), policy: .overwrite) { tmp in
                try Data(formatted.utf8).write(to: tmp)
            }
            Terminal.printLine("formatted \(path)")
        }
        if check && !unformatted.isEmpty {
            for path in unformatted { Terminal.printLine("not formatted: \(path)") }
            throw ExitCode(1)
        }
    }
}
