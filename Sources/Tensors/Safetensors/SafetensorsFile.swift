/// A safetensors file opened lazily: the file is memory-mapped and only its header is read.
///
/// Opening checks the whole header (see `WeightFileError` for what is rejected) but reads
/// no tensor data, so opening a 44 GB checkpoint costs about as much as opening a small one.
/// Tensors are `StoredTensor` views into the mapping and are converted to float32 only
/// when asked for. The mapping stays alive while the file or any of its tensors is alive.
public struct SafetensorsFile: Sendable {
    /// The path as given to `init(path:)`.
    public var path: String { mapping.path }
    /// Size of the whole file in bytes.
    public var byteCount: Int { mapping.bytes.count }
    /// Length of the JSON header in bytes (the 8-byte length field not included).
    public let headerByteCount: Int
    /// Every tensor, sorted by name.
    public let tensors: [StoredTensor]
    /// The `__metadata__` entries in file order.
    public let metadata: [(key: String, value: String)]

    let mapping: MappedFile
    private let indexByName: [String: Int]

    /// Maps the file and checks its header.
    /// - Throws: `WeightFileError` naming the file (and the tensor, when one is at fault).
    public init(path: String) throws(WeightFileError) {
        let mapping = try MappedFile(path: path)
        let parsed = try SafetensorsHeader.parse(mapping.bytes, path: path)
        let dataStart = 8 + parsed.headerLength
        self.mapping = mapping
        self.headerByteCount = parsed.headerLength
        self.metadata = parsed.metadata
        self.tensors = parsed.entries
            .map { StoredTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, file: mapping, byteOffset: dataStart + $0.begin) }
            .sorted { $0.name < $1.name }
        self.indexByName = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> StoredTensor? {
        indexByName[name].map { tensors[$0] }
    }

    /// The tensor named `name`.
    /// - Throws: `WeightFileError.missingKey` naming the file and the tensor.
    public func tensor(_ name: String) throws(WeightFileError) -> StoredTensor {
        guard let found = self[name] else {
            throw WeightFileError(.missingKey, path: path, tensor: name, "no such tensor in the file")
        }
        return found
    }

    /// The value of a `__metadata__` entry, or nil.
    public func metadata(_ key: String) -> String? {
        metadata.last { $0.key == key }?.value
    }

    /// The LTX model config: the JSON held by the metadata entry `config`, or nil if absent.
    /// Checkpoints nest it (`config["transformer"]`, `config["vae"]`); an upsampler's is flat.
    /// - Throws: `WeightFileError.badMetadata` if the entry is not valid JSON.
    public func config() throws(WeightFileError) -> JSONValue? {
        guard let text = metadata("config") else { return nil }
        do {
            return try JSONValue.parse(text)
        } catch {
            throw WeightFileError(.badMetadata, path: path,
                "__metadata__ entry 'config' is not valid JSON: \(error.message) at byte \(error.offset) of the entry")
        }
    }

    /// The IC-LoRA metadata entry `reference_downscale_factor` (how much smaller the reference
    /// video is than the output), or nil when absent (ltx-pipelines then uses 1).
    /// - Throws: `WeightFileError.badMetadata` if present but not a positive integer.
    public func referenceDownscaleFactor() throws(WeightFileError) -> Int? {
        guard let text = metadata("reference_downscale_factor") else { return nil }
        var digits = Substring(text)
        while digits.first == " " { digits.removeFirst() }
        while digits.last == " " { digits.removeLast() }
        guard let value = Int(digits), value > 0 else {
            throw WeightFileError(.badMetadata, path: path,
                "__metadata__ entry 'reference_downscale_factor' must be a positive integer, found '\(text)'")
        }
        return value
    }
}
