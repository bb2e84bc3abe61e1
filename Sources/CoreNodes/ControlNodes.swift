import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import ReelflowIO

extension CoreNodes {
    static let delay = NodeType(
        schema: NodeSchema(
            name: "Delay",
            version: 1,
            doc: "Passes a text through after waiting, reporting step progress like a sampler does.",
            inputs: [
                InputSpec("text", text, doc: "The text to pass through."),
                InputSpec("seconds", .float(min: 0, max: 3600), default: .float(1), doc: "Total time to wait."),
                InputSpec("steps", .int(min: 1, max: 10_000), default: .int(10), doc: "Progress steps to report."),
            ],
            outputs: [OutputSpec("text", text, doc: "The input text, unchanged.")])
    ) { inputs, context in
        let steps = try inputs.int("steps")
        let perStep = try inputs.double("seconds") / Double(steps)
        for step in 0..<steps {
            try await Task.sleep(for: .seconds(perStep))
            context.progress.report(step + 1, of: steps)
        }
        return ["text": try inputs.port("text", as: String.self)]
    }

    static let expect = NodeType(
        schema: NodeSchema(
            name: "Expect", version: 1,
            doc: "Fails the run unless the text contains a given string; passes the text through.",
            inputs: [
                InputSpec("text", text, doc: "The text to check."),
                InputSpec("contains", .string, doc: "The string the text must contain."),
            ],
            outputs: [OutputSpec("text", text, doc: "The input text, unchanged.")])
    ) { inputs, _ in
        let text = try inputs.port("text", as: String.self)
        let needle = try inputs.string("contains")
        guard text.contains(needle) else {
            throw CodecError(message: "expected the text to contain \"\(needle)\", but it does not")
        }
        return ["text": text]
    }

    static let saveText = NodeType(
        schema: NodeSchema(
            name: "SaveText", version: 1,
            doc: "Writes a text to a file, atomically. By default an existing file is kept and the "
                + "new one is numbered (name_00001.txt), as ComfyUI does.",
            inputs: [
                InputSpec("text", text, doc: "The text to write."),
                InputSpec("path", .path(mustExist: false), doc: "Where to write, relative to the graph."),
                InputSpec("existing", .enumeration(["number", "overwrite", "refuse"]),
                          default: .string("number"), doc: "What to do when the file exists."),
            ],
            outputs: [OutputSpec("path", .path(mustExist: false), doc: "The file written.")],
            isOutput: true),
        isStillValid: { outputs in
            guard let path = outputs["path"] as? String else { return false }
            return FileManager.default.fileExists(atPath: path)
        }
    ) { inputs, _ in
        let text = try inputs.port("text", as: String.self)
        let path = try inputs.string("path")
        let policy = TextFilePolicy(rawValue: try inputs.string("existing")) ?? .number
        let written = try TextFileWriter.write(text, to: path, policy: policy)
        return ["path": written]
    }
}
