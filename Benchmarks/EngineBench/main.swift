// engine-bench: benchmarks of ReelflowEngine (release build).
//   swift build -c release --product engine-bench && .build/release/engine-bench [cache|all]
// Each mode lives in its own file with a `run()` entry.

let mode = CommandLine.arguments.dropFirst().first ?? "all"
switch mode {
case "cache", "all":
    CacheBench.run()
case "cache-profile":
    CacheBench.profileLookups()
default:
    print("usage: engine-bench [cache|cache-profile|all]")
}
