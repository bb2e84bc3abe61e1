import Foundation
import ReelflowGraph
import Testing

@Suite struct PathValidationTests {
    @Test func idsMayNotContainDotsOrDollars() throws {
        let text = try #require(errors("reelflow: 1\nnodes:\n  a.b: {type: Const, value: 1}\n  c$: {type: Const, value: 1}\n"))
        #expect(text.contains("/graphs/g.yaml:3:3: error: a.b: node id 'a.b' contains '.'"))
        #expect(text.contains("node id 'c$' contains '$'"))
    }

    @Test func specialFilesAreNotInputs() throws {
        let text = try #require(errors("reelflow: 1\nnodes:\n  t: {type: LoadText, path: /dev/zero}\n"))
        #expect(text.contains("t.path: not a regular file: /dev/zero"))
    }
}
