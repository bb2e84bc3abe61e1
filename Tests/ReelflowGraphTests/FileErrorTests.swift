import Foundation
import OrderedCollections
import ReelflowGraph
import Testing

/// Files that cannot be read, and YAML only Yams reads (the loader's second reader).
@Suite struct FileErrorTests {
    @Test func missingAndUnreadableFiles() throws {
        let scratch = try Scratch(["latin1.yaml": ""])
        try Data([0x61, 0x3A, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: scratch.path("latin1.yaml")))
        #expect(throws: GraphDiagnostics(message: "no such file: \(scratch.path("none.yaml"))")) {
            try loader.load(file: scratch.path("none.yaml"))
        }
        #expect(throws: GraphDiagnostics(message: "\(scratch.path("latin1.yaml")) is not UTF-8 text")) {
            try loader.load(file: scratch.path("latin1.yaml"))
        }
    }

    @Test func yamlErrorInsideAPreset() throws {
        let scratch = try Scratch([
            "g.yaml": "reelflow: 1\nnodes:\n  n: {preset: bad}\n",
            "nodes/bad.yaml": "type: Const\ninputs: [value: 1\n",
        ])
        do {
            _ = try loader.load(file: scratch.path("g.yaml"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.replacingOccurrences(of: scratch.root, with: "$DIR") == """
                $DIR/nodes/bad.yaml:3:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 2:9)

                ^
                """)
        }
    }

    /// Anchors, aliases and block scalars go through Yams; the result is the same graph.
    @Test func yamlOnlyYamsReads() throws {
        let graph = try load("""
            reelflow: 1
            description: |
              Two lines
              of text.
            nodes:
              a: &const {type: Const, value: 4}
              b: *const
              f:
                type: Format
                number: $a
                template: >-
                  folded
                  text
            """)
        #expect(graph.description == "Two lines\nof text.\n")
        #expect(graph.nodes["b"]?.inputs == ["value": .literal(.int(4))])
        #expect(graph.nodes["f"]?.inputs["template"] == .literal(.string("folded text")))
    }
}
