import Crypto

/// Builds a node's cache key from labelled parts, deterministically.
///
/// Each part is a label (`"type"`, `"version"`, `"param:seed"`, `"input:model"`,
/// `"file:video"`) and a value. The key is the SHA-256 of a domain string followed by every
/// part in byte order of its label, each written as
/// `len(label) label kind len(value) value` with 8-byte little-endian lengths. Because every
/// field is length-prefixed and typed, two different sets of parts never produce the same
/// byte stream (`("ab", "c")` and `("a", "bc")` differ), and because parts are sorted by
/// label, the order in which the caller adds them does not matter (a dictionary walk is fine).
///
/// Besides the key, the builder keeps a readable `components` map (label -> short form of the
/// value) that `CacheStore.recordLastRun` stores so `reelflow explain` can say which part of
/// a key changed since the last run.
///
/// Adding the same label twice is a programming error and traps: a key must never depend on
/// which of two values won.
public struct KeyBuilder: Sendable {
    /// The domain string of node keys; bump it to invalidate every key at once.
    public static let nodeKeyDomain = "reelflow.node-key.v1"

    private enum Kind: UInt8 {
        case string = 0x73, digest = 0x64, integer = 0x69, fingerprint = 0x66, bytes = 0x62
    }

    private struct Part: Sendable {
        var kind: Kind
        var value: [UInt8]
        var display: String
    }

    private let domain: String
    private var parts: [String: Part] = [:]

    /// - Parameter domain: separates key families (node keys, graph digests...).
    public init(domain: String = KeyBuilder.nodeKeyDomain) {
        self.domain = domain
    }

    /// Adds a string part, e.g. the node type or one parameter's canonical JSON.
    public mutating func add(_ label: String, string value: String) {
        let utf8 = Array(value.utf8)
        let display = Self.isShortAndPlain(value) ? value : "sha256:\(Digest.of(data: utf8).hex)"
        insert(label, Part(kind: .string, value: utf8, display: display))
    }

    /// Adds an integer part, e.g. the node implementation's version.
    public mutating func add(_ label: String, integer value: Int) {
        insert(label, Part(kind: .integer, value: Self.littleEndian(UInt64(bitPattern: Int64(value))),
                           display: String(value)))
    }

    /// Adds a digest part, e.g. the content digest of an input value.
    public mutating func add(_ label: String, digest: Digest) {
        insert(label, Part(kind: .digest, value: digest.bytes, display: digest.hex))
    }

    /// Adds raw bytes.
    public mutating func add(_ label: String, bytes: some Sequence<UInt8>) {
        let value = Array(bytes)
        insert(label, Part(kind: .bytes, value: value, display: "sha256:\(Digest.of(data: value).hex)"))
    }

    /// Adds a file's fingerprint. With a content digest only the digest counts (touching or
    /// moving an unchanged file keeps the key); without one, path, size and mtime count.
    public mutating func add(_ label: String, fingerprint: FileFingerprint) {
        let material = fingerprint.keyMaterial
        insert(label, Part(kind: .fingerprint, value: Array(material.utf8), display: material))
    }

    /// The labels added so far, sorted.
    public var labels: [String] { parts.keys.sorted(by: Self.byteOrder) }

    /// Label -> readable value: short plain strings and integers as themselves, digests as
    /// hex, long strings and bytes as `sha256:<hex>`, fingerprints as their key material.
    public var components: [String: String] { parts.mapValues(\.display) }

    /// The key: SHA-256 over the domain and the sorted, length-prefixed parts.
    public func finalize() -> Digest {
        var hasher = SHA256()
        func field(_ bytes: [UInt8]) {
            hasher.update(data: Self.littleEndian(UInt64(bytes.count)))
            hasher.update(data: bytes)
        }
        field(Array(domain.utf8))
        hasher.update(data: Self.littleEndian(UInt64(parts.count)))
        for label in labels {
            let part = parts[label]!
            field(Array(label.utf8))
            hasher.update(data: [part.kind.rawValue])
            field(part.value)
        }
        return Digest(hasher.finalize())
    }

    private mutating func insert(_ label: String, _ part: Part) {
        precondition(parts[label] == nil, "KeyBuilder: the label \"\(label)\" was added twice")
        parts[label] = part
    }

    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private static func isShortAndPlain(_ value: String) -> Bool {
        value.utf8.count <= 64 && !value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}

extension KeyBuilder {
    /// The standard node key: `type`, `version`, `param:<name>` (canonical JSON of each
    /// resolved parameter), `input:<name>` (content digest of each connected input) and
    /// `file:<name>` (fingerprint of each file the node reads). Names, not positions or node
    /// ids, label the parts, so the same sub-graph pasted elsewhere keys the same.
    public static func nodeKey(
        type: String, version: Int, params: [String: String],
        inputs: [String: Digest], files: [String: FileFingerprint] = [:]
    ) -> KeyBuilder {
        var builder = KeyBuilder()
        builder.add("type", string: type)
        builder.add("version", integer: version)
        for (name, json) in params { builder.add("param:\(name)", string: json) }
        for (name, digest) in inputs { builder.add("input:\(name)", digest: digest) }
        for (name, fingerprint) in files { builder.add("file:\(name)", fingerprint: fingerprint) }
        return builder
    }
}
