import ReelflowGraph

/// A value crossing an edge: a type-erased payload plus the name of its port type, so the
/// engine can move tensors, models and media without importing them.
public struct PortValue: Sendable {
    /// The port type name (`LATENT`, `MODEL`, `INT`, ...), as in the node schema.
    public var type: String
    public var payload: any Sendable

    public init(type: String, payload: any Sendable) {
        self.type = type
        self.payload = payload
    }

    /// The payload as `T`, or a `NodeInputError` naming what was expected.
    public func cast<T>(_: T.Type = T.self, input: String) throws -> T {
        guard let value = payload as? T else {
            throw NodeInputError(
                input: input,
                message: "expected a \(T.self) payload for \(type), got \(Swift.type(of: payload))")
        }
        return value
    }
}

/// How values of one port type are stored in the cache: the node's output is encoded to a
/// file (the blob), and decoded when a later run needs it.
public struct PortCodec: Sendable {
    /// Recorded in the manifest, so a codec change is detected (`json-v1`, `safetensors-v1`).
    public var encodingName: String
    public var encode: @Sendable (_ payload: any Sendable, _ file: URLPath) throws -> Void
    public var decode: @Sendable (_ file: URLPath) throws -> any Sendable

    public init(
        encodingName: String,
        encode: @escaping @Sendable (any Sendable, URLPath) throws -> Void,
        decode: @escaping @Sendable (URLPath) throws -> any Sendable
    ) {
        self.encodingName = encodingName
        self.encode = encode
        self.decode = decode
    }
}

/// A file path handed to codecs (a plain string, so codecs need not import Foundation).
public typealias URLPath = String

/// A node received an input of the wrong shape; names the input.
public struct NodeInputError: Error, CustomStringConvertible, Sendable {
    public var input: String
    public var message: String
    public var description: String { "input \(input): \(message)" }

    public init(input: String, message: String) {
        self.input = input
        self.message = message
    }
}
