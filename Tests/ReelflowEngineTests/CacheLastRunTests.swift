import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheLastRunTests {
    @Test func recordsRoundTripAndReplace() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        #expect(store.lastRun(graph: "/g/edit.yaml", node: "sampler") == nil)
        let first = KeyBuilder.nodeKey(type: "Sampler", version: 1, params: ["seed": "42"],
                                       inputs: ["model": Digest.of(string: "m")])
        try store.recordLastRun(graph: "/g/edit.yaml", node: "sampler", components: first.components,
                                key: first.finalize())
        #expect(store.lastRun(graph: "/g/edit.yaml", node: "sampler") == first.components)
        #expect(store.lastRunRecord(graph: "/g/edit.yaml", node: "sampler")?.key == first.finalize())
        // Other graphs and nodes are separate.
        #expect(store.lastRun(graph: "/g/other.yaml", node: "sampler") == nil)
        #expect(store.lastRun(graph: "/g/edit.yaml", node: "decode") == nil)

        let second = KeyBuilder.nodeKey(type: "Sampler", version: 1, params: ["seed": "43"],
                                        inputs: ["model": Digest.of(string: "m")])
        try store.recordLastRun(graph: "/g/edit.yaml", node: "sampler", components: second.components)
        let recorded = try #require(store.lastRun(graph: "/g/edit.yaml", node: "sampler"))
        let changed = recorded.keys.filter { first.components[$0] != recorded[$0] }
        #expect(changed == ["param:seed"])
        #expect(filesIn(store.root.path + "/tmp").isEmpty)
    }

    @Test func oddNodeIdsStayInsideTheirDirectory() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        for node in ["../escape", ".hidden", "a/b", "", "ünï", "x y"] {
            try store.recordLastRun(graph: "/g.yaml", node: node, components: ["id": node])
            #expect(store.lastRun(graph: "/g.yaml", node: node) == ["id": node])
            let path = store.lastRunPath(graph: "/g.yaml", node: node)
            let dir = store.root.path + "/runs/" + Digest.of(string: "/g.yaml").hex + "/"
            #expect(path.hasPrefix(dir))
            #expect(!path.dropFirst(dir.count).contains("/"))
            #expect(!path.dropFirst(dir.count).hasPrefix("."))
        }
        #expect(filesIn(store.root.path + "/runs/" + Digest.of(string: "/g.yaml").hex).count == 6)
    }

    @Test func damagedRecordReadsAsNone() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        try store.recordLastRun(graph: "/g.yaml", node: "n", components: ["a": "1"])
        try Data("{oops".utf8).write(to: URL(fileURLWithPath: store.lastRunPath(graph: "/g.yaml", node: "n")))
        #expect(store.lastRun(graph: "/g.yaml", node: "n") == nil)
    }
}
