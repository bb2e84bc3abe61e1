import Foundation

/// Runs the built `reelflow` executable as a real process.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `reelflow` binary beside the test bundle in the build products directory.
    static let binary: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("reelflow")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        fatalError("reelflow binary not found near \(CommandLine.arguments[0])")
    }()

    /// The repository checkout these tests belong to (for graphs/ and nodes/).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A scratch directory holding a cache and copies of graphs.
    let dir: URL
    var cacheDir: URL { dir.appendingPathComponent("cache") }

    init() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("reelflow-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    /// Writes `text` to `name` inside the scratch directory; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    /// A started `reelflow` process whose output goes to files (read them while it runs,
    /// or after `finish`).
    struct Running {
        let process: Process
        let stdoutFile: URL
        let stderrFile: URL

        var stdoutSoFar: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }

        func finish() -> Result {
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus, stdout: stdoutSoFar,
                stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
        }
    }

    /// Starts `reelflow ARGS` in the scratch directory with the scratch cache.
    func start(_ args: [String], environment: [String: String] = [:], unsetting: [String] = []) throws -> Running {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = args
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["REELFLOW_CACHE_DIR"] = cacheDir.path
        env["REELFLOW_PRESET_PATH"] = nil
        for (k, v) in environment { env[k] = v }
        for k in unsetting { env[k] = nil }
        process.environment = env
        let id = UUID().uuidString
        let out = dir.appendingPathComponent(".stdout-\(id)"), err = dir.appendingPathComponent(".stderr-\(id)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, stdoutFile: out, stderrFile: err)
    }

    /// Runs `reelflow ARGS` to completion.
    func run(_ args: String..., environment: [String: String] = [:]) throws -> Result {
        try run(args, environment: environment)
    }

    func run(_ args: [String], environment: [String: String] = [:], unsetting: [String] = []) throws -> Result {
        try start(args, environment: environment, unsetting: unsetting).finish()
    }
}

/// The text graph most CLI tests use: load a note, join it with a param, save.
let textGraph = """
    reelflow: 1
    description: CLI test graph
    params:
      word: hello
      copies: 2
    nodes:
      note:
        type: LoadText
        path: note.txt
      greeting:
        type: Text
        text: $word
      loud:
        type: Transform
        text: $greeting
        mode: upper
        repeat: $copies
      joined:
        type: Join
        a: $loud
        b: $note
        separator: " | "
      save:
        type: SaveText
        text: $joined
        path: out/result.txt
        existing: overwrite

    """
