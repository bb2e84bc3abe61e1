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
/// Stored as `ac/<2 hex>/<key>.json`, JSON with sorted keys and ISO-8601 dates, written with
/// `JSONEncoder` and read one way, by `decode(_:)`.
public struct CacheManifest: Encodable, Sendable, Equatable {
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
    ///
    /// The one manifest reader: `JSONSerialization`, then its dictionaries mapped onto the
    /// fields. Measured on 1,000 manifests written by the store, that is 1.1 to 1.4 times as
    /// fast as `JSONDecoder` into a `Decodable` manifest (docs/benchmarks.md, "Engine cache").
    public static func decode(_ bytes: [UInt8]) -> Result<CacheManifest, DecodeFailure> {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            return .failure(DecodeFailure(text: "not valid manifest JSON (\(Self.describe(error)))"))
        }
        guard let top = object as? [String: Any] else {
            return .failure(DecodeFailure(text: "not valid manifest JSON (not an object)"))
        }
        do throws(DecodeFailure) { return .success(try CacheManifest(Fields(top, path: ""))) } catch {
            return .failure(error)
        }
    }

    /// Why stored bytes are not a usable manifest, worded for a damage report.
    public struct DecodeFailure: Error, Sendable {
        public var text: String
    }

    private init(_ o: Fields) throws(DecodeFailure) {
        let format = try o.int("format")
        let key = try o.digest("key")
        var inputs: [String: Digest] = [:]
        let inputsObject = try o.object("inputs")
        for name in inputsObject.names { inputs[name] = try inputsObject.digest(name) }
        var files: [String: FileFingerprint] = [:]
        let filesObject = try o.object("files")
        for name in filesObject.names {
            let f = try filesObject.object(name)
            files[name] = FileFingerprint(
                path: try f.string("path"), size: try f.int64("size"),
                modifiedNanoseconds: try f.int64("modifiedNanoseconds"),
                contentDigest: try f.optional("contentDigest") { v throws(DecodeFailure) in try f.digest("contentDigest", v) })
        }
        var outputs: [String: CacheOutput] = [:]
        let outputsObject = try o.object("outputs")
        for name in outputsObject.names {
            let f = try outputsObject.object(name)
            outputs[name] = CacheOutput(digest: try f.digest("digest"), size: try f.int64("size"),
                                        portType: try f.string("portType"), encoding: try f.string("encoding"))
        }
        let createdText = try o.string("created")
        guard let created = try? Date(createdText, strategy: .iso8601) else {
            throw o.malformed("created", "expected an ISO-8601 date, got \"\(createdText)\"")
        }
        self.init(
            key: key, nodeID: try o.string("nodeID"), nodeType: try o.string("nodeType"),
            nodeVersion: try o.int("nodeVersion"), params: try o.string("params"), inputs: inputs, files: files,
            outputs: outputs, durationSeconds: try o.double("durationSeconds"), created: created,
            engineVersion: try o.string("engineVersion"),
            graphFile: try o.optional("graphFile") { v throws(DecodeFailure) in try o.string("graphFile", v) })
        self.format = format
    }

    /// One JSON object of a manifest, with typed accessors whose errors name the field's path
    /// (`outputs.image.size`).
    private struct Fields {
        let object: [String: Any]
        let path: String

        init(_ object: [String: Any], path: String) {
            self.object = object
            self.path = path
        }

        var names: [String] { Array(object.keys) }

        func malformed(_ name: String, _ why: String) -> DecodeFailure {
            DecodeFailure(text: "the manifest's \"\(path)\(name)\" is malformed (\(why))")
        }

        func value(_ name: String) throws(DecodeFailure) -> Any {
            guard let v = object[name] else { throw DecodeFailure(text: "the manifest has no \"\(path)\(name)\"") }
            return v
        }

        /// nil when the field is missing or JSON null, else `read` of its value.
        func optional<T>(_ name: String, _ read: (Any) throws(DecodeFailure) -> T) throws(DecodeFailure) -> T? {
            guard let v = object[name], !(v is NSNull) else { return nil }
            return try read(v)
        }

        func string(_ name: String, _ given: Any? = nil) throws(DecodeFailure) -> String {
            let v: Any
            if let given { v = given } else { v = try value(name) }
            guard let s = v as? String else { throw malformed(name, "expected a string") }
            return s
        }

        func int(_ name: String) throws(DecodeFailure) -> Int {
            let v = try value(name)
            guard let n = v as? Int else { throw malformed(name, "expected an integer") }
            return n
        }

        func int64(_ name: String) throws(DecodeFailure) -> Int64 {
            let v = try value(name)
            guard let n = v as? Int64 else { throw malformed(name, "expected an integer") }
            return n
        }

        func double(_ name: String) throws(DecodeFailure) -> Double {
            let v = try value(name)
            guard let n = v as? Double else { throw malformed(name, "expected a number") }
            return n
        }

        func digest(_ name: String, _ given: Any? = nil) throws(DecodeFailure) -> Digest {
            let text = try string(name, given)
            guard let d = Digest(hex: text) else { throw malformed(name, "expected 64 hex digits") }
            return d
        }

        func object(_ name: String) throws(DecodeFailure) -> Fields {
            guard let o = try value(name) as? [String: Any] else { throw malformed(name, "expected an object") }
            return Fields(o, path: path + name + ".")
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        return text ?? String(describing: error)
    }
}
