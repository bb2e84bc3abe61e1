/// The tensors one model component takes from a file, under the component's own key names
/// (the result of `KeyMap.apply(to:)`). Loading is strict: `check(expected:)` fails on a
/// missing key or a wrong shape and reports keys the model does not use.
public struct MappedWeights: Sendable {
    /// The file the tensors come from.
    public let path: String
    /// The name of the key map that produced these keys.
    public let keyMapName: String
    /// Stored tensors by renamed key (each keeps its original name in `StoredTensor.name`).
    public let tensors: [String: StoredTensor]

    /// The renamed keys, sorted.
    public var keys: [String] { tensors.keys.sorted() }

    public subscript(key: String) -> StoredTensor? { tensors[key] }

    /// The tensor under renamed key `key`.
    /// - Throws: `WeightFileError.missingKey` naming the key and the file.
    public func tensor(_ key: String) throws(WeightFileError) -> StoredTensor {
        guard let found = tensors[key] else {
            throw WeightFileError(.missingKey, path: path, tensor: key,
                "missing: the \(keyMapName) weights have no such key")
        }
        return found
    }

    /// Checks the weights against the keys and shapes a model expects.
    /// - Parameters:
    ///   - expected: every key the model needs, with its shape.
    ///   - ignoring: prefixes of keys the model knowingly leaves unused (for example the
    ///     text connectors the transformer map also keeps); they are not reported.
    /// - Returns: the keys present but not expected (report them, e.g. with `description`).
    /// - Throws: `WeightFileError.missingKey` naming the first missing key (and how many are
    ///   missing), or `.shapeMismatch` naming the key and both shapes.
    public func check(expected: [String: [Int]], ignoring: [String] = []) throws(WeightFileError) -> UnexpectedKeys {
        let missing = expected.keys.filter { tensors[$0] == nil }.sorted()
        if let first = missing.first {
            let more = missing.count > 1
                ? " (\(missing.count) keys missing, e.g. " + missing.prefix(5).joined(separator: ", ") + ")"
                : ""
            throw WeightFileError(.missingKey, path: path, tensor: first,
                "missing: the model needs it with shape \(expected[first]!), the \(keyMapName) weights lack it\(more)")
        }
        for key in expected.keys.sorted() {
            let stored = tensors[key]!
            let shape = expected[key]!
            if stored.shape != shape {
                throw WeightFileError(.shapeMismatch, path: path, tensor: key,
                    "has shape \(stored.shape) in the file (as '\(stored.name)'), but the model expects \(shape)")
            }
        }
        let unexpected = tensors.keys
            .filter { expected[$0] == nil && !ignoring.contains(where: $0.hasPrefix) }
            .sorted()
        return UnexpectedKeys(path: path, keyMapName: keyMapName, keys: unexpected)
    }
}

/// Keys a file holds that the model did not ask for.
public struct UnexpectedKeys: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let keyMapName: String
    /// The keys, sorted.
    public let keys: [String]

    public init(path: String, keyMapName: String, keys: [String]) {
        self.path = path
        self.keyMapName = keyMapName
        self.keys = keys
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// E.g. `x.safetensors: 3 unexpected keys in the transformer weights, e.g. a, b, c`.
    public var description: String {
        if keys.isEmpty { return "\(path): no unexpected keys in the \(keyMapName) weights" }
        let noun = keys.count == 1 ? "key" : "keys"
        return "\(path): \(keys.count) unexpected \(noun) in the \(keyMapName) weights, e.g. "
            + keys.prefix(5).joined(separator: ", ")
    }
}
