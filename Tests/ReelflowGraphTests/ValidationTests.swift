import Foundation
import ReelflowGraph
import Testing

/// Each validation error, with its whole message (location, node id, text, source line, caret).
@Suite struct ValidationTests {
    @Test func unknownTypeInputAndParamWithSuggestions() {
        #expect(errors("""
            reelflow: 1
            params: {seed: 1}
            nodes:
              a:
                type: Cosnt
              b:
                type: Const
                valeu: 3
              c:
                type: Const
                value: $sed
            """) == """
            /graphs/g.yaml:5:11: error: a: unknown node type 'Cosnt'; did you mean 'Const'?
                type: Cosnt
                      ^
            /graphs/g.yaml:8:5: error: b: unknown input 'valeu' for Const; did you mean 'value'? (inputs: value)
                valeu: 3
                ^
            /graphs/g.yaml:11:12: error: c: unknown param or node '$sed'; did you mean '$seed'?
                value: $sed
                       ^
            """)
    }

    @Test func edgeTypeMismatchNamesBothEnds() {
        #expect(errors("""
            reelflow: 1
            nodes:
              n: {type: Const}
              t: {type: Format, number: $n}
              sum: {type: Add, a: $n, b: $t.text}
              r: {type: Repeat, text: $t, times: $t}
            """) == """
            /graphs/g.yaml:5:30: error: sum: sum.b expects NUMBER, got TEXT from $t.text
              sum: {type: Add, a: $n, b: $t.text}
                                         ^
            /graphs/g.yaml:6:38: error: r: r.times expects INT, got TEXT from $t
              r: {type: Repeat, text: $t, times: $t}
                                                 ^
            """)
    }

    @Test func missingRequiredInput() {
        #expect(errors("""
            reelflow: 1
            nodes:
              n: {type: Const}
              sum:
                type: Add
                a: $n
            """) == """
            /graphs/g.yaml:4:3: error: sum: missing required input 'b' (NUMBER): Second term.
              sum:
              ^
            """)
    }

    @Test func cycleShownAsPath() {
        #expect(errors("""
            reelflow: 1
            nodes:
              a: {type: Add, a: $c, b: $z}
              b: {type: Scale, number: $a}
              c: {type: Scale, number: $b}
              z: {type: Const}
              self: {type: Scale, number: $self}
            """) == """
            /graphs/g.yaml:3:21: error: a: cycle: a -> b -> c -> a
              a: {type: Add, a: $c, b: $z}
                                ^
            /graphs/g.yaml:7:31: error: self: cycle: self -> self
              self: {type: Scale, number: $self}
                                          ^
            """)
    }

    @Test func literalsOutOfRangeOrNotInEnum() {
        #expect(errors("""
            reelflow: 1
            nodes:
              n: {type: Const, value: 5000}
              s: {type: Scale, number: $n, factor: -0.5, rounding: dwon}
              r: {type: Repeat, text: $f, times: "3", enabled: yes}
              f: {type: Format, number: $n, width: -1}
            """) == """
            /graphs/g.yaml:3:27: error: n: n.value expects INT in -1000...1000, got 5000
              n: {type: Const, value: 5000}
                                      ^
            /graphs/g.yaml:4:40: error: s: s.factor expects FLOAT in 0.0...10.0, got -0.5
              s: {type: Scale, number: $n, factor: -0.5, rounding: dwon}
                                                   ^
            /graphs/g.yaml:4:56: error: s: s.rounding expects one of none, down, up, got 'dwon'; did you mean 'down'?
              s: {type: Scale, number: $n, factor: -0.5, rounding: dwon}
                                                                   ^
            /graphs/g.yaml:5:38: error: r: r.times expects INT in 1...100, got STRING '3'
              r: {type: Repeat, text: $f, times: "3", enabled: yes}
                                                 ^
            /graphs/g.yaml:5:52: error: r: r.enabled expects BOOL, got STRING 'yes'
              r: {type: Repeat, text: $f, times: "3", enabled: yes}
                                                               ^
            /graphs/g.yaml:6:40: error: f: f.width expects INT >= 0, got -1
              f: {type: Format, number: $n, width: -1}
                                                   ^
            """)
    }

    @Test func duplicateNodeIDsAndInputs() {
        #expect(errors("""
            reelflow: 1
            nodes:
              a:
                type: Const
                value: 1
                value: 2
              b: {type: Const}
              a: {type: Const}
            """) == """
            /graphs/g.yaml:6:5: error: a: duplicate key 'value' (first at /graphs/g.yaml:5:5)
                value: 2
                ^
            /graphs/g.yaml:8:3: error: a: duplicate node id 'a' (first at /graphs/g.yaml:3:3)
              a: {type: Const}
              ^
            """)
    }

    @Test func edgesToMissingNodesAndOutputs() {
        #expect(errors("""
            reelflow: 1
            nodes:
              n: {type: Const}
              sp: {type: Split, number: $n}
              a: {type: Add, a: $sp.lwo, b: $sp}
              b: {type: Add, a: $m.number, b: $n.number}
            """) == """
            /graphs/g.yaml:5:21: error: a: a.a: node 'sp' (Split) has no output 'lwo'; did you mean 'low'? (outputs: low, high)
              a: {type: Add, a: $sp.lwo, b: $sp}
                                ^
            /graphs/g.yaml:5:33: error: a: a.b: $sp is not a single value: node 'sp' (Split) has 2 outputs (low, high); name one, as in $sp.low
              a: {type: Add, a: $sp.lwo, b: $sp}
                                            ^
            /graphs/g.yaml:6:21: error: b: b.a: edge to unknown node 'm' in $m.number
              b: {type: Add, a: $m.number, b: $n.number}
                                ^
            """)
    }

    @Test func fileInputThatDoesNotExist() throws {
        let scratch = try Scratch(["g.yaml": """
            reelflow: 1
            nodes:
              load: {type: LoadText, path: data/missing.txt}
            """])
        #expect(throws: GraphDiagnostics.self) { try loader.load(file: scratch.path("g.yaml")) }
        do {
            _ = try loader.load(file: scratch.path("g.yaml"))
        } catch {
            #expect(error.description == """
                \(scratch.path("g.yaml")):3:32: error: load: load.path: no such file: \(scratch.path("data/missing.txt"))
                  load: {type: LoadText, path: data/missing.txt}
                                               ^
                """)
        }
    }

    @Test func yamlSyntaxAndShapeErrors() {
        #expect(errors("""
            reelflow: 1
            nodes:
              a: {type: Const
              b: 2
            """) == """
            /graphs/g.yaml:4:4: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at 3:6)
              b: 2
               ^
            """)
        #expect(errors("""
            reelflow: 2
            nodse:
              - a
            """) == """
            /graphs/g.yaml:1:11: error: unsupported format version INT 2; this reelflow reads `reelflow: 1`
            reelflow: 2
                      ^
            /graphs/g.yaml:2:1: error: unknown top-level key 'nodse'; did you mean 'nodes'? (expected reelflow, description, params, nodes)
            nodse:
            ^
            """)
        #expect(errors("""
            reelflow: 1
            nodes: [a, b]
            """) == """
            /graphs/g.yaml:2:8: error: `nodes` must be a mapping of `key: value` lines, got a list
            nodes: [a, b]
                   ^
            """)
        #expect(errors("""
            reelflow: 1
            params:
              list: [1, 2]
            nodes:
              a: 3
              b: {value: 1}
              c: {type: Const, preset: x}
            """) == """
            /graphs/g.yaml:3:9: error: param 'list' must be a single INT, FLOAT, BOOL or STRING value, got a list
              list: [1, 2]
                    ^
            /graphs/g.yaml:5:6: error: a: node 'a' must be a mapping of `key: value` lines, got INT 3
              a: 3
                 ^
            /graphs/g.yaml:6:3: error: b: a node needs `type: NAME` or `preset: NAME`
              b: {value: 1}
              ^
            /graphs/g.yaml:7:28: error: c: a node has `type:` or `preset:`, not both (a preset sets the type)
              c: {type: Const, preset: x}
                                       ^
            """)
    }

    @Test func manyErrorsAtOnceInFileOrderCyclesLast() {
        #expect(errors("""
            reelflow: 1
            nodes:
              a: {type: Scale, number: $b, factor: 11}
              b: {type: Scale, number: $a, rouding: up}
              c: {type: Sav, text: $a}
            """) == """
            /graphs/g.yaml:3:40: error: a: a.factor expects FLOAT in 0.0...10.0, got 11
              a: {type: Scale, number: $b, factor: 11}
                                                   ^
            /graphs/g.yaml:4:32: error: b: unknown input 'rouding' for Scale; did you mean 'rounding'? (inputs: number, factor, rounding)
              b: {type: Scale, number: $a, rouding: up}
                                           ^
            /graphs/g.yaml:5:13: error: c: unknown node type 'Sav'; did you mean 'Save'?
              c: {type: Sav, text: $a}
                        ^
            /graphs/g.yaml:3:28: error: a: cycle: a -> b -> a
              a: {type: Scale, number: $b, factor: 11}
                                       ^
            """)
    }
}
