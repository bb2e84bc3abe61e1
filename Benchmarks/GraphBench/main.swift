import Foundation
import ReelflowGraph
import Yams

// Validate + plan time of synthetic graphs, beside Yams' own compose of the same file
// (the floor: parsing alone, no typing, no checks). Run in release:
//   swift build -c release --product graph-bench && .build/release/graph-bench

struct BenchSchemas: SchemaProvider {
    static let text = ValueType.port("TEXT")
    static let all = [
        NodeSchema(name: "Text", version: 1, doc: "A constant.",
                   inputs: [InputSpec("text", .string, doc: "The text.")],
                   outputs: [OutputSpec("text", text, doc: "It.")]),
        NodeSchema(name: "Transform", version: 1, doc: "Changes case.",
                   inputs: [InputSpec("text", text, doc: "In."),
                            InputSpec("mode", .enumeration(["upper", "lower"]), default: .string("upper"), doc: "How."),
                            InputSpec("repeat", .int(min: 1, max: 10), default: .int(1), doc: "Times.")],
                   outputs: [OutputSpec("text", text, doc: "Out.")]),
        NodeSchema(name: "Join", version: 1, doc: "Joins two texts.",
                   inputs: [InputSpec("a", text, doc: "First."), InputSpec("b", text, doc: "Second.")],
                   outputs: [OutputSpec("text", text, doc: "Both.")]),
        NodeSchema(name: "Save", version: 1, doc: "Writes.",
                   inputs: [InputSpec("text", text, doc: "What."), InputSpec("path", .path(mustExist: false), doc: "Where.")],
                   outputs: [], isOutput: true),
    ]
    func schema(named name: String) -> NodeSchema? { Self.all.first { $0.name == name } }
    var schemaNames: [String] { Self.all.map(\.name) }
}

/// A chain of Transform nodes from one Text root, every tenth node a Join back to the
/// root (a DAG), ending in one Save.
func yaml(nodes count: Int) -> String {
    var lines = ["reelflow: 1", "description: synthetic graph of \(count) nodes", "params:", "  mode: upper", "nodes:",
                 "  n0:", "    type: Text", "    text: x"]
    for i in 1..<(count - 1) {
        if i % 10 == 0 {
            lines += ["  n\(i):", "    type: Join", "    a: $n\(i - 1)", "    b: $n0.text"]
        } else {
            lines += ["  n\(i):", "    type: Transform", "    text: $n\(i - 1)", "    mode: \(i % 2 == 0 ? "$mode" : "lower")"]
        }
    }
    lines += ["  save:", "    type: Save", "    text: $n\(count - 2)", "    path: out/result.txt"]
    return lines.joined(separator: "\n") + "\n"
}

/// Milliseconds of CPU time this process has used (less disturbed than wall time when
/// other jobs share the machine).
func cpuMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) * 1e-6
}

/// Median wall and CPU milliseconds of `runs` calls.
func median(_ runs: Int, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now, cpuStart = cpuMilliseconds()
        try body()
        let elapsed = ContinuousClock.now - start
        cpu.append(cpuMilliseconds() - cpuStart)
        wall.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15)
    }
    return (wall.sorted()[runs / 2], cpu.sorted()[runs / 2])
}

let directory = NSTemporaryDirectory() + "reelflow-graph-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let loader = GraphLoader(schemas: BenchSchemas(), environment: [:])
print("nodes   validate+plan ms (wall / cpu)   Yams.compose ms (wall / cpu)   ratio (wall / cpu)   runs")
for count in [10, 1_000, 10_000] {
    let path = "\(directory)/graph-\(count).yaml"
    let text = yaml(nodes: count)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let runs = count >= 10_000 ? 11 : 31
    var planned = 0
    let ours = try median(runs) {
        let graph = try loader.load(file: path)
        planned = try graph.plan(targets: graph.defaultTargets).count
    }
    precondition(planned == count, "planned \(planned) of \(count) nodes")
    let peer = try median(runs) {
        let source = try String(contentsOfFile: path, encoding: .utf8)
        _ = try Yams.compose(yaml: source, .basic)
    }
    print(String(format: "%6d   %15.2f / %7.2f   %14.2f / %7.2f   %8.2f / %5.2f   %4d", count, ours.wall, ours.cpu,
                 peer.wall, peer.cpu, ours.wall / peer.wall, ours.cpu / peer.cpu, runs))
}
