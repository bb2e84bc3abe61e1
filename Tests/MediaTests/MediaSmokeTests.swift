import Testing
@testable import Media

@Test func MediaBuilds() { #expect(Bool(true)) }
