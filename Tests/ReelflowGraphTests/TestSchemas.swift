import ReelflowGraph

/// Small real node types for the graph tests: numbers and text travel along edges as the
/// ports NUMBER and TEXT; scalars cover ranges, enums, paths, lists and records.
struct TestSchemas: SchemaProvider {
    static let number = ValueType.port("NUMBER")
    static let text = ValueType.port("TEXT")

    static let all: [NodeSchema] = [
        NodeSchema(name: "Const", version: 1, doc: "A constant number.",
                   inputs: [InputSpec("value", .int(min: -1000, max: 1000), default: .int(0), doc: "The number.")],
                   outputs: [OutputSpec("number", number, doc: "The number.")]),
        NodeSchema(name: "Add", version: 1, doc: "Adds two numbers.",
                   inputs: [InputSpec("a", number, doc: "First term."), InputSpec("b", number, doc: "Second term.")],
                   outputs: [OutputSpec("sum", number, doc: "a + b.")]),
        NodeSchema(name: "Split", version: 1, doc: "Splits a number into two halves.",
                   inputs: [InputSpec("number", number, doc: "The number.")],
                   outputs: [OutputSpec("low", number, doc: "Lower half."), OutputSpec("high", number, doc: "Upper half.")]),
        NodeSchema(name: "Scale", version: 2, doc: "Multiplies a number.",
                   inputs: [InputSpec("number", number, doc: "The number."),
                            InputSpec("factor", .float(min: 0, max: 10), default: .float(1), doc: "The factor."),
                            InputSpec("rounding", .enumeration(["none", "down", "up"]), default: .string("none"),
                                      doc: "How to round.")],
                   outputs: [OutputSpec("number", number, doc: "number * factor.")]),
        NodeSchema(name: "Format", version: 1, doc: "Writes a number as text.",
                   inputs: [InputSpec("number", number, doc: "The number."),
                            InputSpec("template", .string, default: .string("{}"), doc: "`{}` is the number."),
                            InputSpec("width", .int(min: 0), optional: true, doc: "Pad to this width.")],
                   outputs: [OutputSpec("text", text, doc: "The text.")]),
        NodeSchema(name: "LoadText", version: 1, doc: "Reads a text file.",
                   inputs: [InputSpec("path", .path(mustExist: true), doc: "The file.")],
                   outputs: [OutputSpec("text", text, doc: "Its contents."), OutputSpec("length", .int(), doc: "Characters.")]),
        NodeSchema(name: "Concat", version: 1, doc: "Joins texts.",
                   inputs: [InputSpec("parts", .list(text), doc: "The texts."),
                            InputSpec("separator", .string, default: .string(" "), doc: "Between parts.")],
                   outputs: [OutputSpec("text", text, doc: "The joined text.")]),
        NodeSchema(name: "Mix", version: 1, doc: "A weighted sum.",
                   inputs: [InputSpec("terms", .list(.record([
                                InputSpec("source", number, doc: "A number."),
                                InputSpec("weight", .float(min: 0, max: 10), default: .float(1), doc: "Its weight."),
                                InputSpec("note", .path(mustExist: false), optional: true, doc: "A note file."),
                            ])), doc: "The terms."),
                            InputSpec("offsets", .list(.int()), default: .list([]), doc: "Added at the end.")],
                   outputs: [OutputSpec("number", number, doc: "The sum.")]),
        NodeSchema(name: "Stack", version: 1, doc: "A list of weighted files, like a LoRA stack.",
                   inputs: [InputSpec("items", .list(.record([
                                InputSpec("path", .path(mustExist: true), doc: "A file."),
                                InputSpec("strength", .float(min: -10, max: 10), default: .float(1), doc: "Its weight."),
                            ])), doc: "The items.")],
                   outputs: [OutputSpec("text", text, doc: "A summary.")]),
        NodeSchema(name: "Repeat", version: 1, doc: "Repeats a text.",
                   inputs: [InputSpec("text", text, doc: "The text."), InputSpec("times", .int(min: 1, max: 100), default: .int(1), doc: "How often."),
                            InputSpec("enabled", .bool, default: .bool(true), doc: "Off passes the text through.")],
                   outputs: [OutputSpec("text", text, doc: "The text, repeated.")]),
        NodeSchema(name: "Save", version: 1, doc: "Writes a text file.",
                   inputs: [InputSpec("text", text, doc: "What to write."),
                            InputSpec("path", .path(mustExist: false), doc: "Where."),
                            InputSpec("overwrite", .bool, default: .bool(false), doc: "Replace an existing file.")],
                   outputs: [], isOutput: true),
    ]

    func schema(named name: String) -> NodeSchema? { Self.all.first { $0.name == name } }
    var schemaNames: [String] { Self.all.map(\.name) }
}
