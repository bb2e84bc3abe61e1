import Foundation
import ReelflowGraph
import Testing

/// A temporary folder with files written into it, removed at the end of the scope.
struct Scratch: ~Copyable {
    let root: String

    init(_ files: [String: String] = [:]) throws {
        root = NSTemporaryDirectory() + "reelflow-graph-tests-" + UUID().uuidString
        for (path, text) in files { try write(path, text) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

let loader = GraphLoader(schemas: TestSchemas(), environment: [:])

/// Loads `yaml` as if it were `/graphs/g.yaml` (no files needed).
func load(_ yaml: String, overrides: [String] = []) throws -> ResolvedGraph {
    try loader.load(yaml: yaml, path: "/graphs/g.yaml", overrides: overrides.map { try ParamOverride(parsing: $0) })
}

/// The full error text of loading `yaml` as `/graphs/g.yaml`, or nil when it loads.
func errors(_ yaml: String, overrides: [String] = []) -> String? {
    do {
        _ = try load(yaml, overrides: overrides)
        return nil
    } catch {
        return "\(error)"
    }
}
