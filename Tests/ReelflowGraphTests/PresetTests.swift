import Foundation
import OrderedCollections
import ReelflowGraph
import Testing

@Suite struct PresetTests {
    static let graph = """
        reelflow: 1
        nodes:
          n: {type: Const}
          s:
            preset: gentle
            number: $n
          t: {preset: notes}
        """

    /// A repository with presets in the graph's folder, the repo's nodes/, a --presets
    /// directory and REELFLOW_PRESET_PATH, some names defined in several places.
    static func repository() throws -> Scratch {
        try Scratch([
            "repo/Package.swift": "// marker",
            "repo/graphs/g.yaml": graph,
            "repo/graphs/nodes/gentle.yaml": """
                type: Scale
                description: Halves, rounding down.
                inputs:
                  factor: 0.5
                  rounding: down
                """,
            "repo/nodes/gentle.yaml": "type: Scale\ninputs: {factor: 9}\n",
            "repo/nodes/notes.yml": """
                type: LoadText
                description: The notes beside the presets.
                inputs:
                  path: data/notes.txt
                """,
            "repo/nodes/data/notes.txt": "notes",
            "extra/notes.yaml": "type: LoadText\ninputs: {path: /nonexistent}\n",
            "extra/only-extra.yaml": "type: Const\ndescription: From --presets.\n",
            "user/only-extra.yaml": "type: Add\n",
            "user/user-only.yaml": "type: Const\ninputs: {value: 7}\n",
        ])
    }

    @Test func searchOrderAndGraphValuesWin() throws {
        let scratch = try Self.repository()
        let loader = GraphLoader(schemas: TestSchemas(), presetDirectories: [scratch.path("extra")],
                                 environment: ["REELFLOW_PRESET_PATH": scratch.path("user") + ":/nonexistent"])
        let graph = try loader.load(file: scratch.path("repo/graphs/g.yaml"))
        // The graph folder's nodes/ beats the repo's; the preset's values fill what the graph leaves out.
        #expect(graph.nodes["s"]?.schema.name == "Scale")
        #expect(graph.nodes["s"]?.preset == "gentle")
        #expect(graph.nodes["s"]?.inputs == ["number": .edge(node: "n", output: "number"),
                                             "factor": .literal(.float(0.5)), "rounding": .literal(.string("down"))])
        // The repo's nodes/ beats --presets; the preset's path is relative to the preset file.
        #expect(graph.nodes["t"]?.inputs == ["path": .literal(.path(scratch.path("repo/nodes/data/notes.txt")))])

        let overridden = try loader.load(yaml: Self.graph.replacingOccurrences(of: "number: $n", with: "number: $n\n    rounding: up"),
                                         path: scratch.path("repo/graphs/g.yaml"))
        #expect(overridden.nodes["s"]?.inputs["rounding"] == .literal(.string("up")))
        #expect(overridden.nodes["s"]?.inputs["factor"] == .literal(.float(0.5)))
    }

    @Test func listing() throws {
        let scratch = try Self.repository()
        let loader = GraphLoader(schemas: TestSchemas(), presetDirectories: [scratch.path("extra")],
                                 environment: ["REELFLOW_PRESET_PATH": scratch.path("user")])
        let library = loader.presetLibrary(forGraph: scratch.path("repo/graphs/g.yaml"))
        #expect(library.searchPath.directories == [scratch.path("repo/graphs/nodes"), scratch.path("repo/nodes"),
                                                   scratch.path("extra"), scratch.path("user")])
        let presets = try library.list()
        #expect(presets == [
            PresetInfo(name: "gentle", type: "Scale", description: "Halves, rounding down.",
                       file: scratch.path("repo/graphs/nodes/gentle.yaml"), shadowed: [scratch.path("repo/nodes/gentle.yaml")]),
            PresetInfo(name: "notes", type: "LoadText", description: "The notes beside the presets.",
                       file: scratch.path("repo/nodes/notes.yml"), shadowed: [scratch.path("extra/notes.yaml")]),
            PresetInfo(name: "only-extra", type: "Const", description: "From --presets.",
                       file: scratch.path("extra/only-extra.yaml"), shadowed: [scratch.path("user/only-extra.yaml")]),
            PresetInfo(name: "user-only", type: "Const", description: nil,
                       file: scratch.path("user/user-only.yaml"), shadowed: []),
        ])
        #expect(try library.info(named: "user-only")?.type == "Const")
        #expect(try library.info(named: "missing") == nil)
    }

    @Test func repositoryRootWithoutMarkerIsTheNearestFolderWithNodes() throws {
        let scratch = try Scratch(["top/nodes/p.yaml": "type: Const\n", "top/a/b/g.yaml": "reelflow: 1\n"])
        #expect(PresetSearchPath.repositoryRoot(from: scratch.path("top/a/b")) == scratch.path("top"))
    }

    @Test func presetErrors() throws {
        let scratch = try Scratch([
            "g.yaml": """
                reelflow: 1
                nodes:
                  n: {type: Const}
                  a: {preset: gentel, number: $n}
                  b: {preset: broken, number: $n}
                  c: {preset: wrongtype}
                  d: {preset: badvalue, number: $n}
                """,
            "nodes/gentle.yaml": "type: Scale\n",
            "nodes/broken.yaml": "type: Scale\ninput: {factor: 1}\n",
            "nodes/wrongtype.yaml": "type: Scael\n",
            "nodes/badvalue.yaml": "type: Scale\ninputs:\n  factor: $f\n  rounding: sideways\n",
        ])
        let loader = GraphLoader(schemas: TestSchemas(), environment: [:])
        do {
            _ = try loader.load(file: scratch.path("g.yaml"))
            Issue.record("expected errors")
        } catch {
            #expect(error.description.replacingOccurrences(of: scratch.root, with: "$DIR") == """
                $DIR/g.yaml:4:15: error: a: unknown preset 'gentel'; did you mean 'gentle'? (searched: $DIR/nodes)
                  a: {preset: gentel, number: $n}
                              ^
                $DIR/nodes/broken.yaml:2:1: error: unknown preset key 'input'; did you mean 'inputs'? (a preset has type, description, inputs)
                input: {factor: 1}
                ^
                $DIR/nodes/wrongtype.yaml:1:7: error: c: unknown node type 'Scael' in preset 'wrongtype'; did you mean 'Scale'?
                type: Scael
                      ^
                $DIR/nodes/badvalue.yaml:3:11: error: d: d.factor: presets hold literal values only, got the reference $f (write $$f for a string starting with $)
                  factor: $f
                          ^
                $DIR/nodes/badvalue.yaml:4:13: error: d: d.rounding expects one of none, down, up, got 'sideways'
                  rounding: sideways
                            ^
                """)
        }
    }

    /// `{preset: NAME}` inside a list of records takes that preset's items for the same input,
    /// resolved against the preset's folder; mistakes are named.
    @Test func listItemsNamingAPresetExpandToItsItems() throws {
        let scratch = try Scratch([
            "g/graph.yaml": """
                reelflow: 1
                nodes:
                  s:
                    type: Stack
                    items:
                      - {path: mine.txt, strength: 0.5}
                      - {preset: shared}
                """,
            "g/mine.txt": "m",
            "g/nodes/shared.yaml": "type: Stack\ninputs:\n  items:\n    - {path: data/a.txt}\n    - {path: data/b.txt, strength: 2}\n",
            "g/nodes/data/a.txt": "a",
            "g/nodes/data/b.txt": "b",
            "g/nodes/other.yaml": "type: Const\ninputs: {value: 1}\n",
        ])
        let loader = GraphLoader(schemas: TestSchemas(), environment: [:])
        let graph = try loader.load(file: scratch.path("g/graph.yaml"))
        #expect(graph.nodes["s"]?.inputs["items"] == .literal(.list([
            .record(["path": .path(scratch.path("g/mine.txt")), "strength": .float(0.5)]),
            .record(["path": .path(scratch.path("g/nodes/data/a.txt")), "strength": .float(1)]),
            .record(["path": .path(scratch.path("g/nodes/data/b.txt")), "strength": .float(2)]),
        ])))
        for (item, message) in [
            ("{preset: nope}", "s.items[1]: unknown preset 'nope'"),
            ("{preset: other}", "s.items[1]: preset 'other' configures Const, not Stack"),
            ("{preset: shared, strength: 2}", "s.items[1]: an item naming a preset takes no other fields"),
        ] {
            let text = try String(contentsOfFile: scratch.path("g/graph.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "{preset: shared}", with: item)
            #expect(throws: GraphDiagnostics.self) { try loader.load(yaml: text, path: scratch.path("g/graph.yaml")) }
            do { _ = try loader.load(yaml: text, path: scratch.path("g/graph.yaml")) } catch {
                #expect(error.description.contains(message), "\(error.description)")
            }
        }
    }
}
