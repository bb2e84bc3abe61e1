import Foundation
import Yams

extension BindingResolver {
    /// Converts a scalar to a value of `type`, checking ranges, enums and existing files.
    /// `origin` (e.g. " from $seed") tells where a substituted value came from.
    func literal(_ scalar: YAMLScalar, text: String, as type: ValueType, label: @autoclosure () -> String, mark: TextMark?,
                 at site: ResolutionSite, origin: String = "", baseDirectory: String? = nil) -> Value? {
        let got: String = switch scalar {
        case .null: "nothing"
        case .string(let value): "STRING '\(value)'"
        default: "\(scalar.typeName) \(text)"
        }
        func mismatch() -> Value? {
            let hint = type.isPort ? " (an edge such as $node.output)" : ""
            fail(site, mark, "\(label()) expects \(type)\(hint), got \(got)\(origin)")
            return nil
        }
        switch (type, scalar) {
        case (.int(let lo, let hi), .int(let value)):
            if let lo, value < lo { return outOfRange() }
            if let hi, value > hi { return outOfRange() }
            return .int(value)
        case (.float(let lo, let hi), .int(let value)):
            return checkFloat(Double(value), lo, hi) ? .float(Double(value)) : outOfRange()
        case (.float(let lo, let hi), .float(let value)):
            return checkFloat(value, lo, hi) ? .float(value) : outOfRange()
        case (.bool, .bool(let value)):
            return .bool(value)
        case (.string, .string(let value)):
            return .string(value)
        case (.string, .int), (.string, .float), (.string, .bool):
            // YAML typed the word; a STRING input takes it as written (`prompt: 3d1t`, `name: 42`).
            return .string(text)
        case (.enumeration(let cases), .string), (.enumeration(let cases), .int),
             (.enumeration(let cases), .float), (.enumeration(let cases), .bool):
            let word = if case .string(let value) = scalar { value } else { text }
            if cases.contains(word) { return .string(word) }
            fail(site, mark, "\(label()) expects \(type), got '\(word)'\(origin)"
                 + Suggestions.didYouMean(word, in: cases))
            return nil
        case (.path(let mustExist), .string(let value)):
            guard !value.isEmpty else { return mismatch() }
            let path = Self.absolutePath(value, relativeTo: baseDirectory ?? site.baseDirectory)
            if mustExist {
                guard let kind = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else {
                    fail(site, mark, "\(label()): no such file: \(path)\(origin)")
                    return nil
                }
                // A FIFO, device or socket (`/dev/zero`) would block or never end when read.
                guard kind == .typeRegular || kind == .typeDirectory else {
                    fail(site, mark, "\(label()): not a regular file: \(path)\(origin)")
                    return nil
                }
            }
            return .path(path)
        default:
            return mismatch()
        }

        func outOfRange() -> Value? {
            fail(site, mark, "\(label()) expects \(type), got \(text)\(origin)")
            return nil
        }
    }

    private func checkFloat(_ value: Double, _ lo: Double?, _ hi: Double?) -> Bool {
        if value.isNaN { return lo == nil && hi == nil }
        if let lo, value < lo { return false }
        if let hi, value > hi { return false }
        return true
    }

    /// `value` made absolute against `directory` (with `~/` expanded to `$HOME`, or the
    /// password file's home when `HOME` is unset or empty), normalised. A trailing `/` is
    /// kept: it says the path names a directory, and writers refuse to make it a file.
    static func absolutePath(_ value: String, relativeTo directory: String) -> String {
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let expanded = value.hasPrefix("~/") ? home + value.dropFirst(1) : value
        let url = expanded.hasPrefix("/")
            ? URL(fileURLWithPath: expanded)
            : URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(expanded)
        let path = url.standardizedFileURL.path
        return value.hasSuffix("/") && !path.hasSuffix("/") ? path + "/" : path
    }

    // MARK: References

    /// `$param`, `$node` (a node with exactly one output) or `$node.output`.
    func reference(_ text: String, as type: ValueType, label: @autoclosure () -> String, mark: TextMark?,
                   at site: ResolutionSite) -> Binding? {
        guard site.allowsReferences else {
            fail(site, mark, "\(label()): presets hold literal values only, got the reference \(text)"
                 + " (write $\(text) for a string starting with $)")
            return nil
        }
        let body = text.dropFirst()
        let name: String, output: String?
        if let dot = body.firstIndex(of: ".") {
            name = String(body[..<dot])
            output = String(body[body.index(after: dot)...])
        } else {
            name = String(body)
            output = nil
        }
        if output == nil, let param = params[name] {
            let origin = param.override.map { " from $\(name) (--set \(name)=\($0))" } ?? " from $\(name)"
            return literal(param.scalar, text: param.text, as: type, label: label(), mark: mark, at: site,
                           origin: origin, baseDirectory: graphDirectory).map(Binding.literal)
        }
        guard let source = nodeIndex[name] else {
            if output == nil {
                let candidates = params.keys.sorted() + nodeIndex.keys.sorted()
                fail(site, mark, "unknown param or node '\(text)'"
                     + (Suggestions.closest(to: name, in: candidates).map { "; did you mean '$\($0)'?" } ?? ""))
            } else {
                fail(site, mark, "\(label()): edge to unknown node '\(name)' in \(text)"
                     + Suggestions.didYouMean(name, in: nodeIndex.keys.sorted()))
            }
            return nil
        }
        edges[site.nodeIndex].append(EdgeReference(from: source, mark: mark, file: site.file))
        // A node whose type is unknown has its own error already; skip the checks that need it.
        guard let schema = schemas[source] else { return .edge(node: name, output: output ?? "") }
        let spec: OutputSpec
        if let output {
            guard let found = schema.output(named: output) else {
                let names = schema.outputs.map(\.name)
                fail(site, mark, "\(label()): node '\(name)' (\(schema.name)) has no output '\(output)'"
                     + Suggestions.didYouMean(output, in: names)
                     + " (outputs: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
                return nil
            }
            spec = found
        } else {
            guard schema.outputs.count == 1 else {
                let names = schema.outputs.map(\.name)
                let which = names.isEmpty ? "has no outputs"
                    : "has \(names.count) outputs (\(names.joined(separator: ", "))); name one, as in $\(name).\(names[0])"
                fail(site, mark, "\(label()): \(text) is not a single value: node '\(name)' (\(schema.name)) \(which)")
                return nil
            }
            spec = schema.outputs[0]
        }
        guard Self.accepts(type, spec.type) else {
            fail(site, mark, "\(label()) expects \(type.kindName), got \(spec.type.kindName) from \(text)")
            return nil
        }
        return .edge(node: name, output: spec.name)
    }

    /// Whether an output of type `got` may feed an input of type `expected` (bounds and
    /// enum cases are not known for values computed at run time).
    static func accepts(_ expected: ValueType, _ got: ValueType) -> Bool {
        switch (expected, got) {
        case (.port(let a), .port(let b)): a == b
        case (.int, .int), (.float, .int), (.float, .float), (.bool, .bool), (.path, .path),
             (.string, .string), (.string, .enumeration), (.enumeration, .string),
             (.enumeration, .enumeration), (.record, .record):
            true
        case (.list(let a), .list(let b)): accepts(a, b)
        default: false
        }
    }
}
