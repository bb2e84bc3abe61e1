import Tensors

/// Reads a component's weights key by key as its modules are built: each read checks the
/// key exists with the shape the module needs and converts it to the chosen dtype and device;
/// afterwards `unexpected()` lists the keys nobody read. One pass, so the module code states
/// each parameter's name and shape exactly once.
final class WeightReader {
    let weights: MappedWeights?
    let dtype: DType
    let device: Device
    private(set) var read: Set<String> = []
    /// In recording mode: every key asked for, with its shape, in order.
    private(set) var recorded: [(key: String, shape: [Int])] = []

    init(_ weights: MappedWeights, dtype: DType, device: Device) {
        self.weights = weights
        self.dtype = dtype
        self.device = device
    }

    /// A reader with no file that records what is asked for and answers with zeros.
    init(recordingShapes: Void) {
        weights = nil
        dtype = .f32
        device = .cpu
    }

    /// Whether the file has `key` (a recorder has no optional keys).
    func has(_ key: String) -> Bool { weights?[key] != nil }

    /// The tensor under `key`, which must have `shape`.
    func tensor(_ key: String, _ shape: [Int]) throws(WeightFileError) -> Tensor {
        guard let weights else {
            recorded.append((key, shape))
            return Tensor(zeros: shape, dtype: dtype, device: device)
        }
        let stored = try weights.tensor(key)
        guard stored.shape == shape else {
            throw WeightFileError(.shapeMismatch, path: weights.path, tensor: key,
                "has shape \(stored.shape) in the file (as '\(stored.name)'), but the model expects \(shape)")
        }
        read.insert(key)
        return stored.tensor(dtype: dtype, device: device)
    }

    /// A scalar parameter (shape `[]`) read on the host.
    func scalar(_ key: String) throws(WeightFileError) -> Float {
        try tensor(key, []).hostScalars()[0]
    }

    /// Keys present in the file but not read, except those under `ignoring` prefixes.
    func unexpected(ignoring: [String] = []) -> UnexpectedKeys {
        guard let weights else { return UnexpectedKeys(path: "", keyMapName: "", keys: []) }
        let keys = weights.keys.filter { !read.contains($0) && !ignoring.contains(where: $0.hasPrefix) }
        return UnexpectedKeys(path: weights.path, keyMapName: weights.keyMapName, keys: keys)
    }
}
