import Foundation
import OrderedCollections
import ReelflowGraph
import Testing

@Suite struct ParsingTests {
    static let chain = """
        reelflow: 1
        description: Adds two constants and saves the result.
        params:
          first: 2
          factor: 1.5
          label: result
          out: out/sum.txt
        nodes:
          one:
            type: Const
            value: $first
          two:
            type: Const
          sum:
            type: Add
            a: $one.number
            b: $two
          scaled:
            type: Scale
            number: $sum
            factor: $factor
          text:
            type: Format
            number: $scaled
            template: $$ {}
          save:
            type: Save
            text: $text.text
            path: $out
        """

    @Test func paramsEdgesDefaultsAndEscapes() throws {
        let graph = try load(Self.chain)
        #expect(graph.file == "/graphs/g.yaml")
        #expect(graph.description == "Adds two constants and saves the result.")
        #expect(graph.params == ["first": .int(2), "factor": .float(1.5), "label": .string("result"),
                                 "out": .string("out/sum.txt")])
        #expect(Array(graph.nodes.keys) == ["one", "two", "sum", "scaled", "text", "save"])
        #expect(graph.nodes["one"]?.inputs == ["value": .literal(.int(2))])
        #expect(graph.nodes["two"]?.inputs == ["value": .literal(.int(0))])
        #expect(graph.nodes["sum"]?.inputs == ["a": .edge(node: "one", output: "number"),
                                               "b": .edge(node: "two", output: "number")])
        #expect(graph.nodes["scaled"]?.inputs == ["number": .edge(node: "sum", output: "sum"),
                                                  "factor": .literal(.float(1.5)), "rounding": .literal(.string("none"))])
        // `$$` is a literal `$`; optional inputs stay out when not given.
        #expect(graph.nodes["text"]?.inputs == ["number": .edge(node: "scaled", output: "number"),
                                                "template": .literal(.string("$ {}"))])
        #expect(graph.nodes["save"]?.inputs["path"] == .literal(.path("/graphs/out/sum.txt")))
        #expect(graph.nodes["save"]?.inputs["overwrite"] == .literal(.bool(false)))
        #expect(graph.nodes["sum"]?.location == SourceLocation(file: "/graphs/g.yaml", line: 14, column: 3))
        #expect(graph.nodes["sum"]?.dependencies == ["one", "two"])
    }

    @Test func typedOverrides() throws {
        let graph = try load(Self.chain, overrides: ["first=7", "factor=2", "label=42", "out=/tmp/x.txt"])
        #expect(graph.params == ["first": .int(7), "factor": .float(2), "label": .string("42"),
                                 "out": .string("/tmp/x.txt")])
        #expect(graph.nodes["one"]?.inputs["value"] == .literal(.int(7)))
        #expect(graph.nodes["scaled"]?.inputs["factor"] == .literal(.float(2)))
        #expect(graph.nodes["save"]?.inputs["path"] == .literal(.path("/tmp/x.txt")))
        // A relative path given with --set stays relative to the graph file.
        let relative = try load(Self.chain, overrides: ["out=other.txt"])
        #expect(relative.nodes["save"]?.inputs["path"] == .literal(.path("/graphs/other.txt")))
    }

    @Test func badOverrides() {
        #expect(errors(Self.chain, overrides: ["first=abc", "factor=yes please", "frist=3"]) == """
            error: --set first=abc: param 'first' is INT, got 'abc'
            error: --set factor=yes please: param 'factor' is FLOAT, got 'yes please'
            error: --set frist=3: unknown param 'frist'; did you mean 'first'? (params: first, factor, label, out)
            """)
        #expect(errors(Self.chain, overrides: ["first=1.5"]) == """
            error: --set first=1.5: param 'first' is INT, got FLOAT 1.5
            """)
        #expect(throws: GraphDiagnostics(message: "--set seed: expected NAME=VALUE, e.g. --set seed=7")) {
            try ParamOverride(parsing: "seed")
        }
        // An override out of the input's range is caught where the param is used.
        #expect(errors(Self.chain, overrides: ["first=5000"]) == """
            /graphs/g.yaml:11:12: error: one: one.value expects INT in -1000...1000, got 5000 from $first (--set first=5000)
                value: $first
                       ^
            """)
    }

    @Test func listsAndRecordsWithEdges() throws {
        let graph = try load("""
            reelflow: 1
            params: {w: 2}
            nodes:
              a: {type: Const, value: 1}
              b: {type: Const, value: 2}
              mix:
                type: Mix
                terms:
                  - {source: $a, weight: $w, note: notes/a.txt}
                  - source: $b.number
                offsets: [1, 2, 3]
              fa: {type: Format, number: $mix}
              fb: {type: Format, number: $mix, width: 4}
              joined:
                type: Concat
                parts: [$fa, $fb.text]
                separator: ", "
            """)
        #expect(graph.nodes["mix"]?.inputs == [
            "terms": .list([
                .record(["source": .edge(node: "a", output: "number"), "weight": .literal(.float(2)),
                         "note": .literal(.path("/graphs/notes/a.txt"))]),
                .record(["source": .edge(node: "b", output: "number"), "weight": .literal(.float(1))]),
            ]),
            "offsets": .literal(.list([.int(1), .int(2), .int(3)])),
        ])
        #expect(graph.nodes["mix"]?.dependencies == ["a", "b"])
        #expect(graph.nodes["fb"]?.inputs["width"] == .literal(.int(4)))
        #expect(graph.nodes["joined"]?.inputs == [
            "parts": .list([.edge(node: "fa", output: "text"), .edge(node: "fb", output: "text")]),
            "separator": .literal(.string(", ")),
        ])
    }

    @Test func scalarEdgesAndStringsAsWritten() throws {
        let graph = try load("""
            reelflow: 1
            nodes:
              load: {type: LoadText, path: /etc/hostname}
              twice: {type: Repeat, text: $load.text, times: 2, enabled: false}
              f: {type: Format, number: $n, template: 3d1t}
              n: {type: Const}
              g: {type: Format, number: $n, template: 42}
            """)
        #expect(graph.nodes["twice"]?.inputs["enabled"] == .literal(.bool(false)))
        #expect(graph.nodes["f"]?.inputs["template"] == .literal(.string("3d1t")))
        #expect(graph.nodes["g"]?.inputs["template"] == .literal(.string("42")))
    }

    @Test func pathsResolveAgainstTheGraphFile() throws {
        let scratch = try Scratch(["graphs/data/in.txt": "hello", "graphs/g.yaml": """
            reelflow: 1
            nodes:
              load: {type: LoadText, path: data/in.txt}
              save: {type: Save, text: $load.text, path: ../out/result.txt}
            """])
        let graph = try loader.load(file: scratch.path("graphs/g.yaml"))
        #expect(graph.file == scratch.path("graphs/g.yaml"))
        #expect(graph.nodes["load"]?.inputs["path"] == .literal(.path(scratch.path("graphs/data/in.txt"))))
        #expect(graph.nodes["save"]?.inputs["path"] == .literal(.path(scratch.path("out/result.txt"))))
    }

    @Test func canonicalJSON() {
        let value = Value.record(["b": .int(7), "a": .float(7), "c": .list([.float(0.1), .float(1e-5), .bool(true)]),
                                  "d": .string("quote \" slash \\ tab\t\u{1}"), "e": .path("/x/y"),
                                  "f": .float(.nan), "g": .float(-.infinity)])
        #expect(value.canonicalJSON == #"""
            {"b":7,"a":7.0,"c":[0.1,1e-05,true],"d":"quote \" slash \\ tab\t\u0001","e":"/x/y","f":"nan","g":"-inf"}
            """#)
        let binding = Binding.list([.edge(node: "a", output: "number"), .literal(.int(1))])
        #expect(binding.canonicalJSON == #"[{"$edge":"a.number"},1]"#)
    }
}
