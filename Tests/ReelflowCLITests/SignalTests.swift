import Foundation
import Testing

/// Signals while an output file is being written: no temporary file may outlive the run.
/// `REELFLOW_DEBUG_OUTPUT_DELAY` (debug builds) holds SaveText's temporary file open.
@Suite struct SignalTests {
    static let graph = """
        reelflow: 1
        nodes:
          t:
            type: Text
            text: abc
          save:
            type: SaveText
            text: $t
            path: out/w.txt
            existing: overwrite

        """

    /// Starts a run and waits until its output's temporary file exists.
    func startWriting(_ cli: CLI) throws -> CLI.Running {
        try cli.write("g.yaml", Self.graph)
        let running = try cli.start(["run", "g.yaml", "--no-cache"], environment: ["REELFLOW_DEBUG_OUTPUT_DELAY": "30"])
        let deadline = Date().addingTimeInterval(30)
        while temporaryFiles(cli).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!temporaryFiles(cli).isEmpty, "the write did not start")
        return running
    }

    func temporaryFiles(_ cli: CLI) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cli.dir.path + "/out")) ?? []
        return names.filter { $0.contains(".tmp-") }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalRemovesTheTemporaryOutput(signal: Int32) throws {
        let cli = CLI(); defer { cli.cleanup() }
        let running = try startWriting(cli)
        kill(running.process.processIdentifier, signal)
        let result = running.finish()
        #expect(result.status == 128 + signal)
        #expect(temporaryFiles(cli) == [])
    }

    @Test func theNextRunRemovesTemporaryFilesOfAKilledRun() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let running = try startWriting(cli)
        kill(running.process.processIdentifier, SIGKILL)
        _ = running.finish()
        #expect(temporaryFiles(cli).count == 1, "kill -9 leaves the temporary file")
        let rerun = try cli.run("run", "g.yaml", "--no-cache")
        #expect(rerun.status == 0)
        #expect(temporaryFiles(cli) == [])
        #expect(try cli.read("out/w.txt") == "abc")
    }
}
