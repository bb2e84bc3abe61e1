import Testing
@testable import ReelflowGraph

@Test func ReelflowGraphBuilds() { #expect(Bool(true)) }
