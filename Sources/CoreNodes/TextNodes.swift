import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph

/// Small text node types with no ML and no media. They make engine-only graphs possible
/// (the README's first example, the CLI tests, the engine benchmark) and are useful on their
/// own for notes and checks in a pipeline.
public enum CoreNodes {
    /// The port type of text values.
    public static let text = ValueType.port("TEXT")

    /// The core node types.
    public static var types: [NodeType] { [textNode, loadText, join, transform, delay, expect, saveText] }

    /// Registers the core node types and the TEXT codec.
    public static func register(into registry: inout NodeRegistry) {
        registry.register(codec: textCodec, for: "TEXT")
        for type in types { registry.register(type) }
    }

    static let textCodec = PortCodec(
        encodingName: "utf8-v1",
        encode: { payload, path in
            guard let text = payload as? String else { throw CodecError(message: "TEXT payload is not a String") }
            try CodecFiles.write(Data(text.utf8), to: path)
        },
        decode: { path in
            let data = try CodecFiles.read(path)
            guard let text = String(data: data, encoding: .utf8) else {
                throw CodecError(message: "cached TEXT in \(path) is not UTF-8")
            }
            return text
        })

    static let textNode = NodeType(
        schema: NodeSchema(
            name: "Text", version: 1, doc: "A piece of text written in the graph.",
            inputs: [InputSpec("text", .string, doc: "The text.")],
            outputs: [OutputSpec("text", text, doc: "The same text.")])
    ) { inputs, _ in
        ["text": try inputs.string("text")]
    }

    static let loadText = NodeType(
        schema: NodeSchema(
            name: "LoadText", version: 1, doc: "Reads a UTF-8 text file.",
            inputs: [InputSpec("path", .path(mustExist: true), doc: "The file to read, relative to the graph.")],
            outputs: [OutputSpec("text", text, doc: "The file's contents.")])
    ) { inputs, _ in
        let path = try inputs.string("path")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let string = String(data: data, encoding: .utf8) else {
            throw CodecError(message: "\(path) is not UTF-8 text")
        }
        return ["text": string]
    }

    static let join = NodeType(
        schema: NodeSchema(
            name: "Join", version: 1, doc: "Joins two texts with a separator.",
            inputs: [
                InputSpec("a", text, doc: "The first text."),
                InputSpec("b", text, doc: "The second text."),
                InputSpec("separator", .string, default: .string(""), doc: "Put between a and b."),
            ],
            outputs: [OutputSpec("text", text, doc: "a, separator, b.")])
    ) { inputs, _ in
        ["text": try inputs.port("a", as: String.self) + inputs.string("separator") + inputs.port("b", as: String.self)]
    }

    static let transform = NodeType(
        schema: NodeSchema(
            name: "Transform", version: 1, doc: "Changes case, reverses or trims a text, then repeats it.",
            inputs: [
                InputSpec("text", text, doc: "The text to change."),
                InputSpec("mode", .enumeration(["upper", "lower", "reverse", "trim", "none"]),
                          default: .string("none"), doc: "What to do to the text."),
                InputSpec("repeat", .int(min: 1, max: 1000), default: .int(1), doc: "How many copies to join."),
            ],
            outputs: [OutputSpec("text", text, doc: "The changed text.")])
    ) { inputs, _ in
        let source = try inputs.port("text", as: String.self)
        let changed: String
        switch try inputs.string("mode") {
        case "upper": changed = source.uppercased()
        case "lower": changed = source.lowercased()
        case "reverse": changed = String(source.reversed())
        case "trim": changed = source.trimmingCharacters(in: .whitespacesAndNewlines)
        default: changed = source
        }
        return ["text": String(repeating: changed, count: try inputs.int("repeat"))]
    }
}
