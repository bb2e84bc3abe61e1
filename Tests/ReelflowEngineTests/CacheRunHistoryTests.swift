import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheRunHistoryTests {
    @Test func historyRoundTripsPerGraphAndReplaces() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        #expect(store.runHistory(graph: "/g/edit.yaml").nodes.isEmpty)
        let first = KeyBuilder.nodeKey(type: "Sampler", version: 1, params: ["seed": "42"],
                                       inputs: ["model": Digest.of(string: "m")])
        var history = RunHistory(graph: "/g/edit.yaml")
        history.nodes["sampler"] = .init(components: first.components, key: first.finalize())
        history.nodes["../odd id/"] = .init(components: ["id": "x"], key: nil)
        try store.saveRunHistory(history)
        let read = store.runHistory(graph: "/g/edit.yaml")
        #expect(read.components(of: "sampler") == first.components)
        #expect(read.nodes["sampler"]?.key == first.finalize())
        #expect(read.components(of: "../odd id/") == ["id": "x"])
        // Other graphs are separate.
        #expect(store.runHistory(graph: "/g/other.yaml").nodes.isEmpty)

        let second = KeyBuilder.nodeKey(type: "Sampler", version: 1, params: ["seed": "43"],
                                        inputs: ["model": Digest.of(string: "m")])
        history.nodes["sampler"] = .init(components: second.components, key: second.finalize())
        try store.saveRunHistory(history)
        let recorded = try #require(store.runHistory(graph: "/g/edit.yaml").components(of: "sampler"))
        #expect(recorded.keys.filter { first.components[$0] != recorded[$0] } == ["param:seed"])
        #expect(filesIn(store.root.path + "/tmp").isEmpty)
        #expect(filesIn(store.root.path + "/runs").count == 1)
    }

    @Test func damagedHistoryReadsAsEmpty() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        try store.saveRunHistory(RunHistory(graph: "/g.yaml", nodes: ["n": .init(components: ["a": "1"], key: nil)]))
        try Data("{oops".utf8).write(to: URL(fileURLWithPath: store.runHistoryPath(graph: "/g.yaml")))
        #expect(store.runHistory(graph: "/g.yaml").nodes.isEmpty)
    }
}
