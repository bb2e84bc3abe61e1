import OrderedCollections
import ReelflowGraph
import Testing

@Suite struct PlanningTests {
    static let graph = """
        reelflow: 1
        nodes:
          c: {type: Const, value: 3}
          unused: {type: Const}
          b: {type: Const, value: 2}
          sum: {type: Add, a: $c, b: $b}
          text: {type: Format, number: $sum}
          other: {type: Format, number: $b}
          save: {type: Save, text: $text, path: out.txt}
          save2: {type: Save, text: $other, path: out2.txt}
        """

    @Test func defaultTargetsAreOutputNodes() throws {
        let graph = try load(Self.graph)
        #expect(graph.defaultTargets == ["save", "save2"])
        // Needed nodes only; ready nodes in file order.
        #expect(try graph.plan(targets: graph.defaultTargets) == ["c", "b", "sum", "text", "other", "save", "save2"])
    }

    @Test func onlyNamedNodes() throws {
        let graph = try load(Self.graph)
        #expect(try graph.plan(targets: ["sum"]) == ["c", "b", "sum"])
        #expect(try graph.plan(targets: ["other", "unused"]) == ["unused", "b", "other"])
        #expect(try graph.plan(targets: []) == [])
        #expect(throws: GraphDiagnostics(message: "no node 'summ' in /graphs/g.yaml; did you mean 'sum'?")) {
            try graph.plan(targets: ["summ"])
        }
    }

    @Test func fileOrderBreaksTiesNotDependencyOrder() throws {
        // `late` is written before `early` but needs it: each node still follows its inputs.
        let graph = try load("""
            reelflow: 1
            nodes:
              late: {type: Scale, number: $early}
              x: {type: Const}
              early: {type: Const}
              y: {type: Add, a: $late, b: $x}
            """)
        #expect(try graph.plan(targets: ["y"]) == ["x", "early", "late", "y"])
    }

    @Test func inMemoryCycleIsRefused() throws {
        let schema = try #require(TestSchemas().schema(named: "Scale"))
        let graph = ResolvedGraph(file: "memory", nodes: [
            "a": ResolvedNode(id: "a", schema: schema, inputs: ["number": .edge(node: "b", output: "number")]),
            "b": ResolvedNode(id: "b", schema: schema, inputs: ["number": .edge(node: "a", output: "number")]),
        ])
        #expect(throws: GraphDiagnostics(message: "memory: the graph has a cycle through a, b")) {
            try graph.plan(targets: ["b"])
        }
    }

    @Test func dot() throws {
        let graph = try load("""
            reelflow: 1
            nodes:
              n: {type: Const}
              mix: {type: Mix, terms: [{source: $n}, {source: $n, weight: 2}]}
              f: {type: Format, number: $mix}
              save: {type: Save, text: $f, path: "out \\"1\\".txt"}
            """)
        #expect(graph.dot() == #"""
            digraph reelflow {
              rankdir=LR;
              node [shape=box, fontname="Helvetica"];
              edge [fontname="Helvetica", fontsize=10];
              "n" [label="n\nConst"];
              "mix" [label="mix\nMix"];
              "f" [label="f\nFormat"];
              "save" [label="save\nSave", style=bold];
              "n" -> "mix" [label="number -> terms[0].source"];
              "n" -> "mix" [label="number -> terms[1].source"];
              "mix" -> "f" [label="number -> number"];
              "f" -> "save" [label="text -> text"];
            }

            """#)
    }
}
