import Foundation
import ReelflowGraph
import ReelflowTestSupport
import Testing

/// Seeded mutation fuzzing of graph loading: 1,500 damaged variants of a valid graph
/// (characters inserted, deleted or replaced, lines duplicated or dropped). Each must load or
/// be rejected with diagnostics that all have a message, and whose locations, when given,
/// name the file and a line inside it. A crash ends the test process.
@Suite struct MutationTests {
    static let symbols = Array(" \n:-$.#'\"{}[],&*!|>%@`\t0123456789abcxyz".unicodeScalars)

    @Test func damagedGraphsLoadOrGiveLocatedDiagnostics() {
        var rng = SeededRandom(seed: 7)
        let lines = ParsingTests.chain.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var loaded = 0, rejected = 0
        for _ in 0..<1500 {
            var text = lines
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let row = Int.random(in: 0..<text.count, using: &rng)
                var scalars = Array(text[row].unicodeScalars)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:
                    text.remove(at: row)
                    if text.isEmpty { text = [""] }
                    continue
                case 1:
                    text.insert(text[row], at: row)
                    continue
                case 2 where !scalars.isEmpty: scalars.remove(at: Int.random(in: 0..<scalars.count, using: &rng))
                case 3 where !scalars.isEmpty: scalars[Int.random(in: 0..<scalars.count, using: &rng)] = Self.symbols.randomElement(using: &rng)!
                default: scalars.insert(Self.symbols.randomElement(using: &rng)!, at: Int.random(in: 0...scalars.count, using: &rng))
                }
                text[row] = String(String.UnicodeScalarView(scalars))
            }
            let yaml = text.joined(separator: "\n")
            do {
                _ = try load(yaml)
                loaded += 1
            } catch let error as GraphDiagnostics {
                rejected += 1
                #expect(!error.diagnostics.isEmpty)
                let lineCount = yaml.split(separator: "\n", omittingEmptySubsequences: false).count
                for d in error.diagnostics {
                    #expect(!d.message.isEmpty)
                    if let at = d.location {
                        #expect(at.file == "/graphs/g.yaml", "\(d)")
                        #expect(at.line >= 1 && at.line <= lineCount + 1, "line \(at.line) of \(lineCount): \(d)\n\(yaml)")
                    }
                }
            } catch {
                Issue.record("not a GraphDiagnostics: \(error)")
            }
        }
        #expect(rejected > 1000 && loaded > 20, "rejected \(rejected), loaded \(loaded)")
    }
}
