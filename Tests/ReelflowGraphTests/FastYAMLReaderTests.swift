import Testing
import Yams
@testable import ReelflowGraph

/// The fast reader must give exactly Yams' nodes and marks, or decline.
@Suite struct FastYAMLReaderTests {
    static let accepted: [String] = [
        ParsingTests.chain, PlanningTests.graph, PresetTests.graph, FormatterTests.loadable,
        """
        reelflow: 1
        # comment
        nodes:   # trailing
          a: {type: Const, note: "héllo wörld", x: ü, y: -5, z: -.5, url: http://x.y/z#frag}
          "quoted key": 'it''s'
          'single': "esc \\" \\\\ \\n \\t \\x41 \\u00e9 \\U0001F600 \\/"
          my key: a:b
          list:
          - 1
          - {k: v}
          -   spaced
          nested:
            - [a, [b, c], {d: e}]
            - key: value
              other: [1,
                2,   # inside
                3]
            -
              deep: true
          empty: []
          emptymap: {}
          trailing: value   
          flowmap: { a: 1 , b: "two" }
          colonflow: [a:b, c]
        """,
        "- a\n- b\n",
        "a:\n  b:\n    c: d\n  e: f\ng: h\n",
        "k: v #c\n#end",
    ]

    static let declined: [String] = [
        "a: &x 1\nb: *x\n",
        "a: |\n  text\n",
        "a: multi\n  line\n",
        "a: 1\na: 2\n",
        "a:\n\tb: 1\n",
        "a:\nb: 1\n",
        "---\na: 1\n",
        "a: \"open\n  close\"\n",
        "a: [1, 2,]\n",
        "a: !tag x\n",
        "? a\n: b\n",
        "a: b: c\n",
        "just a scalar\n",
        "",
        "a: {b: 1, b: 2}\n",
        "a: [b: 1]\n",
        "a: 'x' y\n",
        "a:\n  - - inline nested list\n",
        FormatterTests.canonical,
    ]

    @Test(arguments: accepted)
    func sameNodesAsYams(_ yaml: String) throws {
        let fast = try #require(FastYAMLReader.read(yaml), "the fast reader declined:\n\(yaml)")
        let yams = try #require(try Yams.compose(yaml: yaml, .basic).map(YAMLNode.init))
        #expect(Self.describe(fast) == Self.describe(yams))
    }

    @Test(arguments: declined)
    func declinesWhatItDoesNotRead(_ yaml: String) {
        #expect(FastYAMLReader.read(yaml) == nil)
    }

    /// A full dump: kind, style, text and mark of every node.
    static func describe(_ node: YAMLNode, indent: String = "") -> String {
        switch node {
        case .scalar(let scalar):
            return "\(indent)scalar \(scalar.style) \(scalar.mark.map(String.init(describing:)) ?? "-") \(scalar.string.debugDescription)\n"
        case .mapping(let mapping):
            return "\(indent)mapping \(mapping.mark.map(String.init(describing:)) ?? "-")\n"
                + mapping.map { describe($0.key, indent: indent + "  ") + describe($0.value, indent: indent + "    ") }.joined()
        case .sequence(let sequence):
            return "\(indent)sequence \(sequence.mark.map(String.init(describing:)) ?? "-")\n"
                + sequence.map { describe($0, indent: indent + "  ") }.joined()
        }
    }
}
