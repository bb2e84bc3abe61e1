import Foundation
import OrderedCollections
import ReelflowGraph
import Testing

@Suite struct FormatterTests {
    static let formatter = GraphFormatter(schemas: TestSchemas(), environment: [:])

    static let messy = """
        # Sum two numbers.
        nodes:   # the work
          # the first term
          a: {value: 1, type: Const}   # one
          sum:
            b: $b
            type: Add
            # left
            a: $a
            future: "kept"
          b:
              type: Const
              value: 2
          mix:
            offsets: [3,
              4]  # inside a flow list
            terms:
              - {weight: 2, source: $a}
              - weight: 0.5
                # the second source
                source: $b
            type: Mix
          save:
            type: Save
            path: 'out: "sum".txt'
            text: $f
            overwrite: yes
          f: {type: Format, number: $sum, template: "{} = total"}
          unknown_type:
            type: Mystery
            zeta: 1
            alpha: on
        params:
          label: "007"
          flag: TRUE
          note: |
            two
            lines
          dollar: $$x
        description: Adds numbers, then saves.
        reelflow: 1
        # the end
        """

    static let canonical = """
        # Sum two numbers.
        reelflow: 1
        description: Adds numbers, then saves.

        params:
          label: "007"
          flag: true
          note: |
            two
            lines
          dollar: $$x

        nodes:  # the work
          # the first term
          a:  # one
            type: Const
            value: 1

          sum:
            type: Add
            # left
            a: $a
            b: $b
            future: kept

          b:
            type: Const
            value: 2

          mix:
            type: Mix
            terms:
              - {source: $a, weight: 2}
              # the second source
              - {source: $b, weight: 0.5}
            # inside a flow list
            offsets: [3, 4]

          save:
            type: Save
            text: $f
            path: "out: \\"sum\\".txt"
            overwrite: "yes"

          f:
            type: Format
            number: $sum
            template: "{} = total"

          unknown_type:
            type: Mystery
            zeta: 1
            alpha: "on"
        # the end

        """

    @Test func canonicalRewriteKeepsComments() throws {
        let output = try Self.formatter.format(yaml: Self.messy, path: "/graphs/g.yaml")
        #expect(output == Self.canonical)
    }

    @Test func idempotent() throws {
        let once = try Self.formatter.format(yaml: Self.messy, path: "/graphs/g.yaml")
        let twice = try Self.formatter.format(yaml: once, path: "/graphs/g.yaml")
        #expect(twice == once)
        let chain = try Self.formatter.format(yaml: ParsingTests.chain, path: "/graphs/g.yaml")
        #expect(try Self.formatter.format(yaml: chain, path: "/graphs/g.yaml") == chain)
    }

    /// The formatted file loads to the same graph (apart from source positions).
    @Test func roundTripLoadsTheSameGraph() throws {
        for yaml in [ParsingTests.chain, PlanningTests.graph, Self.loadable] {
            let formatted = try Self.formatter.format(yaml: yaml, path: "/graphs/g.yaml")
            let before = try load(yaml), after = try load(formatted)
            #expect(before.params == after.params)
            #expect(before.description == after.description)
            #expect(Array(before.nodes.keys) == Array(after.nodes.keys))
            for (id, node) in before.nodes {
                #expect(node.inputs == after.nodes[id]?.inputs, "node \(id)")
                #expect(node.schema == after.nodes[id]?.schema)
            }
        }
    }

    static let loadable = """
        reelflow: 1
        description: "Line one\\nline two\\n"
        params: {w: 2, name: "a, b", empty: "", hash: "x #y", colon: "a:b"}
        nodes:
          a: {type: Const, value: 1}
          mix:
            type: Mix
            terms: [{source: $a, weight: $w, note: "notes/a b.txt"}, {source: $a}]
          f: {type: Format, number: $mix, template: $name}
          g: {type: Format, number: $mix, template: $empty}
          h: {type: Format, number: $mix, template: $hash}
          i: {type: Format, number: $mix, template: $colon}
          j: {type: Format, number: $mix, template: "tab\\there"}
          k: {type: Format, number: $mix, template: '- dash'}
          joined: {type: Concat, parts: [$f, $g, $h, $i, $j, $k], separator: ", "}
        """

    @Test func refusesFilesThatAreNotGraphs() {
        #expect(throws: GraphDiagnostics.self) {
            try Self.formatter.format(yaml: "reelflow: 1\nnodes: [a]\n", path: "/graphs/g.yaml")
        }
    }
}
