import Foundation

/// Cache codecs for scalar outputs (INT, FLOAT, STRING, BOOL, PATH): a tiny JSON file.
enum BuiltinCodecs {
    static let scalars: [(String, PortCodec)] = [
        ("INT", json(Int.self)),
        ("FLOAT", json(Double.self)),
        ("STRING", json(String.self)),
        ("BOOL", json(Bool.self)),
        ("PATH", json(String.self)),
    ]

    /// A codec that stores one `Codable` scalar as a one-element JSON array (valid JSON for
    /// fragments on every platform).
    static func json<T: Codable & Sendable>(_: T.Type) -> PortCodec {
        PortCodec(
            encodingName: "json-\(T.self)-v1",
            encode: { payload, path in
                guard let value = payload as? T else {
                    throw CodecError(message: "expected \(T.self), got \(type(of: payload))")
                }
                let data = try JSONEncoder().encode([value])
                try data.write(to: URL(fileURLWithPath: path))
            },
            decode: { path in
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                guard let value = try JSONDecoder().decode([T].self, from: data).first else {
                    throw CodecError(message: "empty JSON value in \(path)")
                }
                return value
            })
    }
}

/// A cached value could not be encoded or decoded.
public struct CodecError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
