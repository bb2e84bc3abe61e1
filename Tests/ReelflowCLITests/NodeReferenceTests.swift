import Foundation
import Testing

/// docs/nodes.md is generated from the node registry and must not go stale.
@Suite struct NodeReferenceTests {
    @Test func docsNodesMatchesTheRegistry() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let result = try cli.run("nodes", "--markdown")
        #expect(result.status == 0)
        let committed = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("docs/nodes.md"), encoding: .utf8)
        #expect(result.stdout == committed, "docs/nodes.md is stale: run `swift run reelflow nodes --markdown > docs/nodes.md`")
        for type in ["LoadCheckpoint", "LoRAStack", "Sampler", "VAEDecode", "LoadVideo", "Save", "ConditionByMask"] {
            #expect(committed.contains("### \(type)\n"), "\(type) is missing")
        }
    }
}

/// `reelflow devices` lists the CPU and, without CUDA, says what it looked for instead of failing.
@Suite struct DevicesCommandTests {
    @Test func listsTheCPUAndExplainsAMissingCUDA() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let result = try cli.run(["devices"], environment: ["REELFLOW_CUDA_PATH": "/nonexistent"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("cpu "))
        let lines = result.stdout.split(separator: "\n")
        let cuda = lines.first { $0.hasPrefix("cuda") }
        #expect(cuda != nil)
        if let cuda, cuda.contains("not available") {
            #expect(cuda.contains("libcuda.so.1") && cuda.contains("REELFLOW_CUDA_PATH"), "\(cuda)")
        }
    }
}
