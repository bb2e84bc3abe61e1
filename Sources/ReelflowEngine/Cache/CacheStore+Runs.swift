import Foundation

/// The key components of every node of one graph at its last run, kept so
/// `reelflow explain` can say which part of a key changed since then, and so a rerun can
/// tell that a recomputed node reproduced its previous output (early cutoff).
///
/// One file per graph, `runs/<sha256 of graph path>.json`, read once when a run starts and
/// written once when it ends (only if something changed), so a cached rerun of a thousand
/// nodes costs one read, not a thousand. Two processes running the same graph at once each
/// write their own view; the last one wins, which at worst makes `explain` name a stale
/// reason. Records are never trusted for correctness.
public struct RunHistory: Codable, Sendable, Equatable {
    public struct NodeRecord: Codable, Sendable, Equatable {
        /// Label -> readable value, as `KeyBuilder.components` gives them, plus
        /// `output:NAME` -> output digest.
        public var components: [String: String]
        /// The key those components made.
        public var key: Digest?

        public init(components: [String: String], key: Digest?) {
            self.components = components
            self.key = key
        }
    }

    public var graph: String
    public var nodes: [String: NodeRecord]
    public var recorded: Date

    public init(graph: String, nodes: [String: NodeRecord] = [:], recorded: Date = Date()) {
        self.graph = graph
        self.nodes = nodes
        self.recorded = recorded
    }

    /// The recorded components of `node`, or nil.
    public func components(of node: String) -> [String: String]? { nodes[node]?.components }
}

extension CacheStore {
    /// The history of `graph` (the graph file's path); empty when there is none or it
    /// cannot be read.
    public func runHistory(graph: String) -> RunHistory {
        guard let history = readRunHistory(at: runHistoryPath(graph: graph)), history.graph == graph
        else { return RunHistory(graph: graph) }
        return history
    }

    /// The history stored at `path`, or nil when it is missing or cannot be decoded.
    func readRunHistory(at path: String) -> RunHistory? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return try? decoder.decode(RunHistory.self, from: Data(bytes))
    }

    /// Replaces the history of `history.graph` atomically.
    /// - Throws: `CacheError` when it cannot be written.
    public func saveRunHistory(_ history: RunHistory) throws(CacheError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let path = runHistoryPath(graph: history.graph)
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(history)) } catch {
            throw CacheError(.invalidRequest, path: path, reason: "cannot encode the run history: \(error)")
        }
        // Not fsynced: losing a history after a power cut only makes explain say "no record".
        try FileSystem.writeAtomically(bytes, to: path, tempDirectory: tmpPath, durable: false)
    }

    func runHistoryPath(graph: String) -> String {
        runsPath + "/" + Digest.of(string: graph).hex + ".json"
    }
}
