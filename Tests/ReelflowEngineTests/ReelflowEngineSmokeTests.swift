import Testing
@testable import ReelflowEngine

@Test func ReelflowEngineBuilds() { #expect(Bool(true)) }
