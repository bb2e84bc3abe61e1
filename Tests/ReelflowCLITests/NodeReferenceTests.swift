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
