// engine-bench: benchmarks of the engine (release build).
//   swift build -c release --product engine-bench --product reelflow
//   .build/release/engine-bench [graph|cache|cache-profile|manifest|all] [--reelflow PATH]
// Each mode lives in its own file with a `run()` entry; figures are medians, printed beside
// their target or peer with the ratio. Results: docs/benchmarks.md.

let mode = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") && !$0.hasPrefix("/") && !$0.hasPrefix(".") } ?? "all"
switch mode {
case "graph":
    try await EngineGraphBench.run()
case "cache":
    CacheBench.run()
case "cache-profile":
    CacheBench.profileLookups()
case "manifest":
    ManifestDecodeBench.run()
case "all":
    try await EngineGraphBench.run()
    CacheBench.run()
    ManifestDecodeBench.run()
default:
    print("usage: engine-bench [graph|cache|cache-profile|manifest|all] [--reelflow PATH]")
}
