import Foundation

/// A stored output: which blob holds it and how to read it back.
public struct CacheOutput: Codable, Sendable, Hashable {
    public var digest: Digest
    /// Bytes in the blob.
    public var size: Int64
    /// The port type the value had (`LATENT`, `IMAGE`, `INT`...).
    public var portType: String
    /// How the blob encodes the value (`safetensors`, `json`, `png`...), chosen by the node's
    /// value codec; the store does not interpret it.
    public var encoding: String

    public init(digest: Digest, size: Int64, portType: String, encoding: String) {
        self.digest = digest
        self.size = size
        self.portType = portType
        self.encoding = encoding
    }

    public init(_ blob: BlobRef, portType: String, encoding: String) {
        self.init(digest: blob.digest, size: blob.size, portType: portType, encoding: encoding)
    }

    public var blob: BlobRef { BlobRef(digest: digest, size: size) }
}

/// The action-cache record of one computed node: its key, the digests of its outputs, and
/// provenance (what was computed, from what, when, how long it took, by which engine).
/// Stored as `ac/<2 hex>/<key>.json`, JSON with sorted keys and ISO-8601 dates.
public struct CacheManifest: Codable, Sendable, Equatable {
    /// The manifest format this engine writes.
    public static let currentFormat = 1

    public var format: Int
    public var key: Digest
    public var nodeID: String
    public var nodeType: String
    public var nodeVersion: Int
    /// The node's resolved parameters, canonical JSON.
    public var params: String
    /// Input name -> content digest of the value it received.
    public var inputs: [String: Digest]
    /// Input name -> fingerprint of the file it read.
    public var files: [String: FileFingerprint]
    /// Output name -> stored blob.
    public var outputs: [String: CacheOutput]
    /// Wall-clock seconds the node took to compute.
    public var durationSeconds: Double
    public var created: Date
    public var engineVersion: String
    /// The graph file the node came from (provenance only: it is not part of the key).
    public var graphFile: String?

    public init(key: Digest, nodeID: String, nodeType: String, nodeVersion: Int, params: String,
                inputs: [String: Digest], files: [String: FileFingerprint] = [:],
                outputs: [String: CacheOutput], durationSeconds: Double, created: Date = Date(),
                engineVersion: String, graphFile: String? = nil) {
        self.format = Self.currentFormat
        self.key = key
        self.nodeID = nodeID
        self.nodeType = nodeType
        self.nodeVersion = nodeVersion
        self.params = params
        self.inputs = inputs
        self.files = files
        self.outputs = outputs
        self.durationSeconds = durationSeconds
        self.created = created
        self.engineVersion = engineVersion
        self.graphFile = graphFile
    }

    /// Bytes of all outputs (blobs shared between outputs counted once).
    public var outputBytes: Int64 {
        var seen = Set<Digest>()
        return outputs.values.reduce(0) { seen.insert($1.digest).inserted ? $0 + $1.size : $0 }
    }

    /// The JSON the store writes: sorted keys, ISO-8601 dates.
    func encoded() throws(CacheError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do { return Array(try encoder.encode(self)) } catch {
            throw CacheError(.invalidRequest, path: key.hex, reason: "cannot encode the manifest: \(error)")
        }
    }

    /// Parses a stored manifest; the error text says what was wrong, for `.damaged` reports.
    static func decode(_ bytes: [UInt8]) -> Result<CacheManifest, DecodeFailure> {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return .success(try decoder.decode(CacheManifest.self, from: Data(bytes))) } catch {
            return .failure(DecodeFailure(text: Self.describe(error)))
        }
    }

    struct DecodeFailure: Error { var text: String }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            return "not valid manifest JSON (\(context.debugDescription))"
        case .keyNotFound(let key, _)?:
            return "the manifest has no \"\(key.stringValue)\""
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "the manifest's \"\(path)\" is malformed (\(context.debugDescription))"
        default:
            return "the manifest cannot be read (\(error))"
        }
    }
}
