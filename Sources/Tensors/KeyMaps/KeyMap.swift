/// A declarative filter-and-rename of checkpoint keys, applied in one function
/// (`apply(to:)`), like ltx-core's `SDOps` and mlx-swift-examples' rename rules.
///
/// A key passes the filter if it starts with one of the `keepPrefix` rules (every key
/// passes when there is none); then the renaming rules run in order.
public struct KeyMap: Sendable, Equatable, CustomStringConvertible {
    public enum Rule: Sendable, Equatable {
        /// Keep keys starting with this prefix (several such rules: keep keys matching any).
        case keepPrefix(String)
        /// Remove this prefix from keys that start with it.
        case dropPrefix(String)
        /// Replace every occurrence of a substring, as ltx-core's `with_replacement` does.
        case replace(String, with: String)
    }

    /// A short name used in messages, e.g. `transformer`.
    public let name: String
    public let rules: [Rule]

    public init(_ name: String, _ rules: [Rule]) {
        self.name = name
        self.rules = rules
    }

    /// The renamed key, or nil when the filter drops it.
    public func apply(to key: String) -> String? {
        var keepRules = false
        var kept = false
        for case .keepPrefix(let prefix) in rules {
            keepRules = true
            if key.hasPrefix(prefix) { kept = true; break }
        }
        guard kept || !keepRules else { return nil }
        var result = key
        for rule in rules {
            switch rule {
            case .keepPrefix: continue
            case .dropPrefix(let prefix):
                if result.hasPrefix(prefix) { result.removeFirst(prefix.count) }
            case .replace(let old, let new):
                result = result.replacing(old, with: new)
            }
        }
        return result
    }

    /// The tensors of `file` that pass the filter, under their renamed keys.
    /// - Throws: `WeightFileError.badHeader` if two tensors are renamed to the same key.
    public func apply(to file: SafetensorsFile) throws(WeightFileError) -> MappedWeights {
        var mapped: [String: StoredTensor] = [:]
        for tensor in file.tensors {
            guard let key = apply(to: tensor.name) else { continue }
            if let other = mapped[key] {
                throw WeightFileError(.badHeader, path: file.path, tensor: tensor.name,
                    "the \(name) key map renames both '\(other.name)' and '\(tensor.name)' to '\(key)'")
            }
            mapped[key] = tensor
        }
        return MappedWeights(path: file.path, keyMapName: name, tensors: mapped)
    }

    public var description: String {
        "\(name): " + rules.map { rule in
            switch rule {
            case .keepPrefix(let p): "keep \(p)*"
            case .dropPrefix(let p): "drop prefix \(p)"
            case .replace(let a, let b): "replace \(a) -> \(b.isEmpty ? "''" : b)"
            }
        }.joined(separator: ", ")
    }
}
