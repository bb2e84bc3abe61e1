import Foundation
import OrderedCollections
import ReelflowGraph
import Testing

/// Graph files written to hurt the reader: alias bombs, deep nesting, and what Windows
/// editors save. Each must fail quickly with a message (or load), never exhaust memory or
/// the stack.
@Suite struct HostileFileTests {
    /// 9 levels of anchors, each aliasing the previous one 10 times: 10^9 nodes if expanded.
    static let aliasBomb: String = {
        var text = "reelflow: 1\nparams:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        let names = "abcdefghi".map(String.init)
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "  \(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text + "nodes: {}\n"
    }()

    @Test func aliasBombIsRefusedNamingTheAliasAndTheLimit() throws {
        let start = ContinuousClock.now
        let text = try #require(errors(Self.aliasBomb))
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(text.hasPrefix("/graphs/g.yaml:"))
        #expect(text.contains("alias *"))
        #expect(text.contains("past 100,000 nodes (the limit for a graph file)"))
    }

    @Test func aliasesWithinTheLimitStillWork() throws {
        let graph = try load("""
            reelflow: 1
            nodes:
              a: &n {type: Const, value: 4}
              b: *n
            """)
        #expect(graph.nodes["b"]?.inputs == ["value": .literal(.int(4))])
    }

    /// 40,000 nested lists (80 KB), and 100,000 nested mappings: Yams' recursive composer
    /// would overflow the stack.
    static let deepTexts = [
        "reelflow: 1\nnodes:\n  a: {type: Concat, parts: " + String(repeating: "[", count: 40_000)
            + String(repeating: "]", count: 40_000) + "}\n",
        "reelflow: 1\nnodes: " + String(repeating: "{a: ", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "\n",
    ]

    @Test(arguments: [0, 1])
    func deepFlowNestingIsRefused(index: Int) throws {
        let text = Self.deepTexts[index]
        let message = try #require(errors(text))
        #expect(message.contains("nested more than 100 levels deep (the limit for a graph file)"))
        #expect(message.hasPrefix("/graphs/g.yaml:"))
    }

    @Test func deepBlockNestingIsRefused() throws {
        var text = "reelflow: 1\nnodes:\n"
        for level in 0..<150 { text += String(repeating: " ", count: 2 * (level + 1)) + "a:\n" }
        text += String(repeating: " ", count: 302) + "b: 1\n"
        let message = try #require(errors(text))
        #expect(message.contains("nested more than 100 levels deep"))
    }

    @Test func bracketsInQuotesAndCommentsDoNotCount() throws {
        let brackets = String(repeating: "[", count: 300)
        let graph = try load("""
            reelflow: 1
            description: "\(brackets)"   # \(brackets)
            nodes:
              a: {type: Const, value: 1}
            """)
        #expect(graph.description == brackets)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let scratch = try Scratch()
        let url = URL(fileURLWithPath: scratch.path("bom.yaml"))
        try (Data([0xEF, 0xBB, 0xBF]) + Data("reelflow: 1\nnodes:\n  a: {type: Const, value: 2}\n".utf8)).write(to: url)
        let graph = try loader.load(file: url.path)
        #expect(graph.nodes["a"]?.inputs == ["value": .literal(.int(2))])
        // Positions stay those an editor shows (the mark is not a column).
        let bad = try Scratch()
        let badURL = URL(fileURLWithPath: bad.path("bom.yaml"))
        try (Data([0xEF, 0xBB, 0xBF]) + Data("reelflow: 1\nnodes:\n  a: {type: Cosnt}\n".utf8)).write(to: badURL)
        #expect(throws: (any Error).self) { try loader.load(file: badURL.path) }
        do { _ = try loader.load(file: badURL.path) } catch {
            #expect("\(error)".contains("bom.yaml:3:13: error: a: unknown node type 'Cosnt'"))
        }
    }
}
