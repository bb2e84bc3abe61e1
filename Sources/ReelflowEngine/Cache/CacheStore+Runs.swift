import Foundation

/// The key components of a node's last run, kept so `reelflow explain` can say which part
/// of a key changed since then. Stored as `runs/<sha256 of graph path>/<node>.json`.
public struct LastRunRecord: Codable, Sendable, Equatable {
    public var graph: String
    public var node: String
    /// Label -> readable value, as `KeyBuilder.components` gives them.
    public var components: [String: String]
    /// The key those components made.
    public var key: Digest?
    public var recorded: Date
}

extension CacheStore {
    /// Remembers the key components of `node` in `graph` (the graph file's path), replacing
    /// the previous record atomically.
    /// - Throws: `CacheError` when the record cannot be written.
    public func recordLastRun(graph: String, node: String, components: [String: String],
                              key: Digest? = nil) throws(CacheError) {
        let record = LastRunRecord(graph: graph, node: node, components: components, key: key, recorded: Date())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(record)) } catch {
            throw CacheError(.invalidRequest, path: lastRunPath(graph: graph, node: node),
                             reason: "cannot encode the last-run record: \(error)")
        }
        let path = lastRunPath(graph: graph, node: node)
        // Not fsynced: losing a record after a power cut only makes explain say "no record".
        try AtomicWrite.write(bytes, to: path, tempDirectory: tmpPath, durable: false)
    }

    /// The components recorded for `node` in `graph` by the last `recordLastRun`, or nil when
    /// there is none (or it cannot be read).
    public func lastRun(graph: String, node: String) -> [String: String]? {
        lastRunRecord(graph: graph, node: node)?.components
    }

    /// The whole last-run record, or nil.
    public func lastRunRecord(graph: String, node: String) -> LastRunRecord? {
        guard let bytes = try? FileSystem.readFile(lastRunPath(graph: graph, node: node)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let record = try? decoder.decode(LastRunRecord.self, from: Data(bytes)),
              record.graph == graph, record.node == node else { return nil }
        return record
    }

    /// Node ids may hold any character: letters, digits, `_`, `-` and `.` stay, everything
    /// else (and a leading `.`) becomes `%XX`, so the name is one safe path component.
    func lastRunPath(graph: String, node: String) -> String {
        var name = ""
        for byte in node.utf8 {
            let c = Character(UnicodeScalar(byte))
            let plain = byte < 0x80 && (c.isLetter || c.isNumber || c == "_" || c == "-" || (c == "." && !name.isEmpty))
            name += plain ? String(c) : String(format: "%%%02X", byte)
        }
        if name.isEmpty { name = "%" }
        return runsPath + "/" + Digest.of(string: graph).hex + "/" + name + ".json"
    }
}
