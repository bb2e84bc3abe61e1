import Foundation
import ReelflowEngine

/// Graph benchmarks: validate+plan, cold scheduling overhead, and a fully cached rerun of
/// 1,000 nodes as a whole `reelflow` process.
enum EngineGraphBench {
    static func run() async throws {
        let arguments = CommandLine.arguments
        let reelflowBinary = arguments.firstIndex(of: "--reelflow").map { arguments[$0 + 1] }
            ?? URL(fileURLWithPath: arguments[0]).deletingLastPathComponent().appendingPathComponent("reelflow").path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("reelflow-engine-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        print("== validate + plan (in process, median of 5)")
        for count in [10, 1_000, 10_000] {
            let path = try GraphBench.writeGraph(nodes: count, in: work)
            let t = try Measure.median(runs: 5, warmUp: true) { _ = try GraphBench.validateAndPlan(path: path) }
            Measure.report("validate+plan \(count) nodes", t, unit: .milliseconds, versus: "target", 0.200)
        }

        print("== scheduling overhead per node, cold run (in process, median of 5)")
        for count in [10, 1_000, 10_000] {
            let path = try GraphBench.writeGraph(nodes: count, in: work)
            let noCache = try await Measure.median(runs: 5) { _ = try await GraphBench.run(path: path, cache: nil) }
            Measure.report("cold, no cache, per node (\(count))", noCache / Double(count), unit: .microseconds, versus: "target", 50e-6)
            // Each run gets a fresh, empty cache; removing them is not part of the figure.
            var used: [URL] = []
            let withCache = try await Measure.median(runs: 5) {
                let dir = work.appendingPathComponent("cold-\(count)-\(UUID().uuidString)")
                used.append(dir)
                _ = try await GraphBench.run(path: path, cache: try CacheStore(root: dir, maxBytes: nil))
            }
            for dir in used { try? FileManager.default.removeItem(at: dir) }
            Measure.report("cold, writing cache, per node (\(count))", withCache / Double(count), unit: .microseconds, versus: "target", 50e-6)
        }

        print("== fully cached rerun of 1,000 nodes as a whole process (median of 7)")
        if FileManager.default.isExecutableFile(atPath: reelflowBinary) {
            let path = try GraphBench.writeGraph(nodes: 1_000, in: work)
            let cacheDir = work.appendingPathComponent("rerun-cache").path
            func launch(_ args: [String]) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: reelflowBinary)
                process.arguments = args
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { fatalError("reelflow \(args) exited \(process.terminationStatus)") }
            }
            try launch(["run", path, "--cache-dir", cacheDir])
            let start = try Measure.median(runs: 7, warmUp: true) { try launch(["--version"]) }
            let rerun = try Measure.median(runs: 7, warmUp: true) { try launch(["run", path, "--cache-dir", cacheDir]) }
            Measure.report("process start (reelflow --version)", start, unit: .milliseconds, versus: "-", start)
            // The 100 ms target was retired by issue 8 (docs/benchmarks.md); the engine's speed
            // target is now the cached rerun of graphs/hello.yaml (tools/bench/cached-rerun.sh).
            Measure.report("cached rerun beyond process start", rerun - start, unit: .milliseconds,
                           versus: "retired target", 0.100)
        } else {
            print("skipped: no reelflow binary at \(reelflowBinary) (build it with --product reelflow)")
        }
    }
}
