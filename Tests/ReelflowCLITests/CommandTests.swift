import Foundation
import Testing

@Suite struct CommandTests {
    @Test func validateReportsEveryErrorWithPositionAndExitsTwo() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("bad.yaml", """
            reelflow: 1
            nodes:
              t:
                type: Txt
                text: abc
              loud:
                type: Transform
                text: $t
                repeat: 0

            """)
        let result = try cli.run("validate", "bad.yaml")
        #expect(result.status == 2)
        #expect(result.stderr == """
            bad.yaml:4:11: error: t: unknown node type 'Txt'; did you mean 'Text'?
                type: Txt
                      ^
            bad.yaml:9:13: error: loud: loud.repeat expects INT in 1...1000, got 0
                repeat: 0
                        ^

            """)
    }

    @Test func validateAcceptsAGoodGraph() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("graph.yaml", textGraph)
        let result = try cli.run("validate", "graph.yaml")
        #expect(result.status == 0)
        #expect(result.stdout == "graph.yaml: ok: 5 nodes, 2 params, outputs: save\n")
    }

    @Test func explainSaysWhatChanged() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("graph.yaml", textGraph)
        #expect(try cli.run("run", "graph.yaml").status == 0)
        let result = try cli.run("explain", "graph.yaml", "--set", "copies=5")
        #expect(result.stdout == """
            note      cached (LoadText)
            greeting  cached (Text)
            loud      will run (Transform)
                      - input repeat changed: 2 -> 5
            joined    runs unless upstream output is unchanged (Join)
                      - input from loud, which will run
            save      runs unless upstream output is unchanged (SaveText)
                      - input from joined, which will run

            """)
    }

    @Test func explainNoticesADeletedOutput() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("graph.yaml", textGraph)
        #expect(try cli.run("run", "graph.yaml").status == 0)
        try FileManager.default.removeItem(at: cli.dir.appendingPathComponent("out/result.txt"))
        let explain = try cli.run("explain", "graph.yaml")
        #expect(explain.stdout.contains("save      will run (SaveText)\n          - its cached result stands, but what it wrote is gone"))
        let rerun = try cli.run("run", "graph.yaml")
        #expect(rerun.stdout.contains("finished: 1 ran, 4 cached"), "\(rerun.stdout)")
        #expect(try cli.read("out/result.txt") == "HELLOHELLO | n")
    }

    @Test func nodesListsTypesAndDescribesOne() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let list = try cli.run("nodes")
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("Join ") && $0.hasSuffix(" Joins two texts with a separator.") })
        let join = try cli.run("nodes", "Join")
        #expect(join.stdout.contains("  separator: STRING = \"\"\n      Put between a and b.\n"))
        let typo = try cli.run("nodes", "Jion")
        #expect(typo.status == 2)
        #expect(typo.stderr == "error: no node type named Jion; did you mean Join?\n")
    }

    @Test func graphDotIsGraphviz() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("graph.yaml", textGraph)
        let result = try cli.run("graph", "--dot", "graph.yaml")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("digraph"))
        #expect(result.stdout.contains("loud"))
    }

    @Test func cacheCommandsReportAndClean() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("graph.yaml", textGraph)
        #expect(try cli.run("run", "graph.yaml").status == 0)
        let stats = try cli.run("cache", "stats")
        #expect(stats.stdout.contains("entries:   5"), "\(stats.stdout)")
        let list = try cli.run("cache", "ls")
        #expect(list.stdout.contains("loud (Transform)"))
        let cleared = try cli.run("cache", "clear")
        #expect(cleared.stdout.hasPrefix("cleared 5 entries"))
        let after = try cli.run("run", "graph.yaml")
        #expect(after.stdout.contains("finished: 5 ran, 0 cached"))
    }

    /// Graphs that need no model files validate as shipped (the model graphs name files a
    /// checkout does not have; ShippedGraphsTests validates and runs them on the fixtures).
    @Test func everyShippedGraphValidates() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let root = CLI.repositoryRoot
        let graphs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("graphs").path)
            .filter { $0.hasSuffix(".yaml") }
            .filter { !(try String(contentsOf: root.appendingPathComponent("graphs/\($0)"), encoding: .utf8)).contains("../models/") }
        #expect(!graphs.isEmpty)
        for graph in graphs {
            let result = try cli.run("validate", root.appendingPathComponent("graphs/\(graph)").path)
            #expect(result.status == 0, "\(graph): \(result.stderr)")
        }
    }

    @Test func fmtRewritesCanonicallyAndChecks() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "n")
        try cli.write("messy.yaml", """
            nodes:
              save: {path: out.txt, text: $t, type: SaveText}   # the output
              t:
                text:   abc
                type: Text
            reelflow: 1

            """)
        let check = try cli.run("fmt", "--check", "messy.yaml")
        #expect(check.status == 1)
        #expect(check.stdout == "not formatted: messy.yaml\n")
        #expect(try cli.run("fmt", "messy.yaml").status == 0)
        let formatted = try cli.read("messy.yaml")
        #expect(formatted.hasPrefix("reelflow: 1\n"))
        #expect(formatted.contains("# the output"))
        #expect(try cli.run("fmt", "--check", "messy.yaml").status == 0)
        #expect(try cli.run("validate", "messy.yaml").status == 0)
    }

    @Test func shippedGraphsAreFormatted() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let root = CLI.repositoryRoot
        let graphs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("graphs").path)
            .filter { $0.hasSuffix(".yaml") }.map { root.appendingPathComponent("graphs/\($0)").path }
        let result = try cli.run(["fmt", "--check"] + graphs)
        #expect(result.status == 0, "\(result.stdout)")
    }

    @Test func presetsListsTheRepositoryPresets() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let root = CLI.repositoryRoot
        let result = try cli.run("presets", "--graph", root.appendingPathComponent("graphs/hello.yaml").path)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").contains {
            $0.hasPrefix("shout ") && $0.contains(" Transform ") && $0.hasSuffix(" Upper-case a text and say it twice.")
        }, "\(result.stdout)")
    }

    @Test func badUsageExits64() throws {
        let cli = CLI(); defer { cli.cleanup() }
        let result = try cli.run("run", "--jobs", "0", "graph.yaml")
        #expect(result.status == 64)
        #expect(result.stderr.contains("--jobs must be at least 1"))
    }
}
