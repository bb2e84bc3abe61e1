import CUDABackend
import Tensors
import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph

/// The graph file and how to resolve it; shared by every command that reads a graph.
struct GraphOptions: ParsableArguments {
    @Argument(help: "The graph file (YAML).")
    var graph: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a graph param, typed like the param: --set seed=7.", valueName: "name=value"))
    var overrides: [String] = []

    @Option(name: .customLong("presets"), help: ArgumentHelp(
        "Another directory of node presets (searched after the graph's nodes/ and the repo's nodes/, "
            + "before REELFLOW_PRESET_PATH).", valueName: "dir"))
    var presetDirectories: [String] = []

    func validate() throws {
        for item in overrides where !item.contains("=") {
            throw ValidationError("--set expects name=value, got \"\(item)\".")
        }
    }

    func loader(_ registry: NodeRegistry) -> GraphLoader {
        GraphLoader(
            schemas: registry, presetDirectories: presetDirectories,
            environment: ProcessInfo.processInfo.environment)
    }

    /// Loads and validates the graph; prints every diagnostic and exits 2 when it is invalid.
    func load(registry: NodeRegistry) throws -> ResolvedGraph {
        do {
            let parsed = try overrides.map { item throws(GraphDiagnostics) in try ParamOverride(parsing: item) }
            return try loader(registry).load(file: graph, overrides: parsed)
        } catch {
            Terminal.printError(String(describing: error))
            throw ExitCodes.invalidInput
        }
    }
}

/// Where the cache lives and how big it may grow.
struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp(
        "The cache directory (default: REELFLOW_CACHE_DIR, else $XDG_CACHE_HOME/reelflow, else ~/.cache/reelflow).",
        valueName: "dir"))
    var cacheDirectory: String?

    @Option(name: .customLong("cache-max-size"), help: ArgumentHelp(
        "Evict least-recently-used entries beyond this size, e.g. 50G, 500M (default: REELFLOW_CACHE_MAX_SIZE, else 100G).",
        valueName: "size"))
    var maxSize: String?

    func validate() throws {
        if let maxSize, ByteSize.parse(maxSize) == nil {
            throw ValidationError("--cache-max-size expects a size such as 500M or 50G, got \"\(maxSize)\".")
        }
    }

    var root: URL {
        if let cacheDirectory { return URL(fileURLWithPath: cacheDirectory) }
        return CacheStore.defaultRoot(environment: ProcessInfo.processInfo.environment)
    }

    var maxBytes: Int64 {
        if let maxSize, let bytes = ByteSize.parse(maxSize) { return bytes }
        if let env = ProcessInfo.processInfo.environment["REELFLOW_CACHE_MAX_SIZE"], let bytes = ByteSize.parse(env) {
            return bytes
        }
        return 100 << 30
    }

    func open() throws -> CacheStore {
        do {
            // Entries in an encoding no codec here reads are damaged: recomputed, and removed by gc.
            return try CacheStore(root: root, maxBytes: maxBytes,
                                  knownEncodings: Set(Reelflow.registry.codecs.values.map(\.encodingName)))
        } catch {
            Terminal.printError("error: cannot open the cache at \(root.path): \(error)")
            throw ExitCodes.internalError
        }
    }
}

/// Parses sizes such as `500M`, `50G`, `1.5T`, `1048576`.
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var body = text.uppercased()
        if body.hasSuffix("B") && body.count > 1 && units[body[body.index(body.endIndex, offsetBy: -2)]] != nil {
            body.removeLast()
        }
        var scale = 1.0
        if let last = body.last, let unit = units[last] {
            scale = unit
            body.removeLast()
        }
        guard let number = Double(body), number >= 0 else { return nil }
        return Int64(number * scale)
    }

    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// Where the model nodes compute: `--device cpu` (the default) or `cuda[:N]`.
struct DeviceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Where the model nodes compute: cpu, cuda or cuda:N (a GPU through the CUDA backend). Part of their cache keys.",
        valueName: "device"))
    var device: String = "cpu"

    func validate() throws {
        guard Device(parsing: device) != nil else {
            throw ValidationError("--device expects cpu, cuda or cuda:N, got \"\(device)\".")
        }
    }

    /// The run settings for this device (none for the CPU, so CPU keys stay as they were),
    /// after setting up the GPU's backend.
    /// - Throws: the CUDA backend's error (what was looked for, which call failed).
    func settings(activate: Bool) throws -> [String: String] {
        let d = Device(parsing: device)!
        guard d != .cpu else { return [:] }
        if activate { _ = try CUDABackend.activate(d) }
        return ["device": d.description]
    }
}
