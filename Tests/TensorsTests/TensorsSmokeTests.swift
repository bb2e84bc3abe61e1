import Testing
@testable import Tensors

@Test func TensorsBuilds() { #expect(Bool(true)) }
