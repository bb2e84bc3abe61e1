import Foundation
import Testing

/// `reelflow demo` (the README's first command) on its tiny models, through the real binary:
/// it makes its inputs and writes the MP4; a rerun with one param changed by `--set` runs only
/// what that param reaches; an unknown param is refused with its name.
@Suite struct DemoCommandTests {
    @Test func runsThenRerunsOnlyWhatOneChangedParamReaches() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = CLI.repositoryRoot.appendingPathComponent("graphs/sync-lora-edit.yaml").path
        let base = ["demo", "--dir", cli.dir.path, "--graph", graph, "--cache-dir", cli.dir.appendingPathComponent("cache").path, "--json"]
        let cold = try cli.run(base)
        #expect(cold.status == 0, "\(cold.stderr)")
        let output = cli.dir.appendingPathComponent("out/sync-lora-edit.mp4").path
        #expect(FileManager.default.fileExists(atPath: output))

        let changed = try cli.run(base + ["--set", "stage2_seed=44"])
        #expect(changed.status == 0, "\(changed.stderr)")
        let started = Pipeline.started(changed.stdout)
        #expect(started.contains("stage2") && started.contains("decoded"), "\(started)")
        #expect(!started.contains("stage1") && !started.contains("reference_latent"), "stage 1 came from the cache: \(started)")

        let unknown = try cli.run(base + ["--set", "no_such_param=1"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no_such_param"), "\(unknown.stderr)")
    }
}
