import Testing
@testable import Tensors

@Suite struct JSONParserTests {
    @Test func keepsOrderAndNumberText() throws {
        let value = try JSONValue.parse(#"{"b": [1, 2.50, -3e+2], "a": {"s": "x\"\u00e9\ud83d\ude00\n"}, "n": null, "t": true}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "n", "t"])
        #expect(value["b"] == .array([.number("1"), .number("2.50"), .number("-3e+2")]))
        #expect(value["a"]?["s"]?.stringValue == "x\"é😀\n")
        #expect(value["n"] == .null && value["t"] == .bool(true))
        #expect(value.compactText == #"{"b":[1,2.50,-3e+2],"a":{"s":"x\"é😀\n"},"n":null,"t":true}"#)
    }

    @Test(arguments: [
        ("{\"a\":}", 5, "unexpected character '}', expected a value"),
        ("[1,]", 3, "unexpected character ']', expected a value"),
        ("{\"a\" 1}", 5, "expected ':' after member name"),
        ("01", 1, "unexpected text after the JSON value"),
        ("\"abc", 4, "unterminated string"),
        ("tru", 0, "invalid literal, expected 'true'"),
        ("{} x", 3, "unexpected text after the JSON value"),
        ("\"\\x\"", 3, "invalid escape '\\x'"),
        ("-", 1, "expected a digit"),
    ])
    func reportsTheOffsetOfTheFirstProblem(text: String, offset: Int, message: String) {
        #expect(throws: JSONSyntaxError(offset: offset, message: message)) { try JSONValue.parse(text) }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError(offset: 64, message: "nesting deeper than 64 levels")) { try JSONValue.parse(deep) }
    }

    @Test func rejectsInvalidUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: JSONSyntaxError(offset: 1, message: "string is not valid UTF-8")) {
            try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        }
    }
}
