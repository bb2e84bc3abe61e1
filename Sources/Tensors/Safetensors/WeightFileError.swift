/// A problem with a weight file: a malformed safetensors file, a key map that does not fit
/// the model, or a LoRA that does not fit its base weights.
///
/// The message always names the file, and the tensor or key when there is one, so it can be
/// printed as is (argument-parser prints a `CustomStringConvertible` error unchanged).
public struct WeightFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for code that wants to branch on it; the text is in `reason`.
    public enum Kind: String, Sendable, Equatable {
        case cannotOpen, truncated, headerLength, badJSON, badHeader, badEntry
        case unknownDType, byteLengthMismatch, offsetsOutOfRange, offsetsOverlap, unusedBytes
        case badMetadata, missingKey, shapeMismatch, unexpectedKeys
        case unsupportedDType, loraMismatch, unmatchedLoRAKeys, writeFailed
    }

    public let kind: Kind
    /// The file the problem is in.
    public let path: String
    /// The tensor or key concerned, if any.
    public let tensor: String?
    /// A sentence saying what was found and what was expected.
    public let reason: String

    public init(_ kind: Kind, path: String, tensor: String? = nil, _ reason: String) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor { return "\(path): tensor '\(tensor)': \(reason)" }
        return "\(path): \(reason)"
    }
}
