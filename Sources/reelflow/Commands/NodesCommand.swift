import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "List the node types, or show one type's inputs, outputs and docs.")

    @Argument(help: "A node type to describe.")
    var type: String?

    func run() async throws {
        let registry = Reelflow.registry
        guard let type else {
            let names = registry.schemaNames
            let width = names.map(\.count).max() ?? 0
            for name in names {
                let schema = registry.schema(named: name)!
                let firstLine = schema.doc.split(separator: "\n").first.map(String.init) ?? ""
                Terminal.printLine(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + firstLine)
            }
            return
        }
        guard let schema = registry.schema(named: type) else {
            let hint = Suggestions.closest(to: type, in: registry.schemaNames).map { "; did you mean \($0)?" } ?? ""
            Terminal.printError("error: no node type named \(type)\(hint)")
            throw ExitCodes.invalidInput
        }
        Terminal.write(SchemaDescription.text(for: schema))
    }
}

/// The `reelflow nodes TYPE` text, from the registry's schema.
enum SchemaDescription {
    static func text(for schema: NodeSchema) -> String {
        var out = "\(schema.name) (version \(schema.version)"
        out += schema.persistence == .memoryOnly ? ", memory-only" : ""
        out += schema.isOutput ? ", output node" : ""
        out += ")\n  \(schema.doc)\n\ninputs:\n"
        for input in schema.inputs {
            var line = "  \(input.name): \(input.type)"
            if let value = input.defaultValue { line += " = \(literal(value))" }
            else if input.optional { line += " (optional)" }
            else { line += " (required)" }
            out += line + "\n      \(input.doc)\n"
        }
        out += "outputs:\n"
        for output in schema.outputs { out += "  \(output.name): \(output.type)\n      \(output.doc)\n" }
        return out
    }

    static func literal(_ value: Value) -> String {
        switch value {
        case .int(let v): String(v)
        case .float(let v): "\(v)"
        case .bool(let v): String(v)
        case .string(let v), .path(let v): v.isEmpty ? "\"\"" : v
        case .list(let items): "[" + items.map(literal).joined(separator: ", ") + "]"
        case .record(let fields): "{" + fields.map { "\($0.key): \(literal($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
