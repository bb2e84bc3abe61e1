import Foundation
import Testing

@Suite struct RunCommandTests {
    func prepared() throws -> CLI {
        let cli = CLI()
        try cli.write("note.txt", "a note")
        try cli.write("graph.yaml", textGraph)
        return cli
    }

    @Test func runThenRerunIsCachedThenOneChangeRerunsDependents() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        let first = try cli.run("run", "graph.yaml")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try cli.read("out/result.txt") == "HELLOHELLO | a note")
        #expect(first.stdout.contains("finished: 5 ran, 0 cached"))

        // A new process: everything comes from the disk cache.
        let second = try cli.run("run", "graph.yaml")
        #expect(second.stdout.contains("finished: 0 ran, 5 cached"), "\(second.stdout)")

        // One param changes: the nodes below it rerun, the note stays cached.
        let third = try cli.run("run", "graph.yaml", "--set", "copies=3", "--json")
        let events = third.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let started = Set(events.filter { $0["event"] as? String == "started" }.compactMap { $0["node"] as? String })
        #expect(started == ["loud", "joined", "save"])
        #expect(try cli.read("out/result.txt") == "HELLOHELLOHELLO | a note")
    }

    @Test func editingAnInputFileRerunsItsReader() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        #expect(try cli.run("run", "graph.yaml").status == 0)
        try cli.write("note.txt", "another note")
        let rerun = try cli.run("run", "graph.yaml")
        #expect(rerun.stdout.contains("run      note (LoadText)"))
        #expect(rerun.stdout.contains("cached   loud (Transform)"))
        #expect(try cli.read("out/result.txt") == "HELLOHELLO | another note")
    }

    @Test func onlyRunsWhatTheNodeNeeds() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        let result = try cli.run("run", "graph.yaml", "--only", "loud")
        #expect(result.status == 0)
        #expect(result.stdout.contains("finished: 2 ran, 0 cached"))
        #expect(!FileManager.default.fileExists(atPath: cli.dir.appendingPathComponent("out/result.txt").path))
    }

    @Test func noCacheRunsEverythingAndStoresNothing() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        #expect(try cli.run("run", "graph.yaml", "--no-cache").status == 0)
        let again = try cli.run("run", "graph.yaml")
        #expect(again.stdout.contains("finished: 5 ran, 0 cached"))
    }

    @Test func jobsGiveIdenticalResults() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        #expect(try cli.run("run", "graph.yaml", "--no-cache", "--jobs", "1").status == 0)
        let serial = try cli.read("out/result.txt")
        #expect(try cli.run("run", "graph.yaml", "--no-cache", "--jobs", "4").status == 0)
        #expect(try cli.read("out/result.txt") == serial)
    }

    @Test func aFailingNodeExitsOneNamingIt() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("fail.yaml", """
            reelflow: 1
            nodes:
              t:
                type: Text
                text: abc
              check:
                type: Expect
                text: $t
                contains: xyz
              save:
                type: SaveText
                text: $check
                path: out.txt

            """)
        let result = try cli.run("run", "fail.yaml")
        #expect(result.status == 1)
        #expect(result.stderr == "error: node check (Expect) failed: expected the text to contain \"xyz\", but it does not\n")
    }

    @Test func ctrlCStopsRunningNodesAndCachesNothingPartial() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("slow.yaml", """
            reelflow: 1
            nodes:
              t:
                type: Text
                text: abc
              wait:
                type: Delay
                text: $t
                seconds: 60
                steps: 600
              save:
                type: SaveText
                text: $wait
                path: out.txt

            """)
        let running = try cli.start(["run", "slow.yaml", "--json"])
        let deadline = Date().addingTimeInterval(30)
        while !running.stdoutSoFar.contains("\"event\":\"progress\"") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(running.process.processIdentifier, SIGINT)
        let result = running.finish()
        #expect(result.status == 130)
        #expect(result.stdout.contains("\"event\":\"cancelled\""))
        let explain = try cli.run("explain", "slow.yaml")
        #expect(explain.stdout.contains("t     cached (Text)"))
        #expect(explain.stdout.contains("wait  will run (Delay)"))
    }

    @Test func twoProcessesShareOneCache() throws {
        let cli = try prepared(); defer { cli.cleanup() }
        try cli.write("graph2.yaml", textGraph.replacingOccurrences(of: "out/result.txt", with: "out/result2.txt"))
        let a = try cli.start(["run", "graph.yaml", "--jobs", "2"])
        let b = try cli.start(["run", "graph2.yaml", "--jobs", "2"])
        let (ra, rb) = (a.finish(), b.finish())
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(rb.status == 0, "\(rb.stderr)")
        #expect(try cli.read("out/result.txt") == "HELLOHELLO | a note")
        #expect(try cli.read("out/result2.txt") == "HELLOHELLO | a note")
        // Whatever the interleaving, the store is whole: a third run finds everything.
        let third = try cli.run("run", "graph2.yaml")
        #expect(third.stdout.contains("finished: 0 ran, 5 cached"), "\(third.stdout)")
        let gc = try cli.run("cache", "gc")
        #expect(gc.stdout.contains("removed 0 damaged"), "\(gc.stdout)")
        #expect(gc.stdout.contains("0 run histories of deleted graphs"), "\(gc.stdout)")
        // Once graph2.yaml is deleted, its run history is of no use and gc removes it.
        try FileManager.default.removeItem(at: cli.dir.appendingPathComponent("graph2.yaml"))
        let after = try cli.run("cache", "gc")
        #expect(after.stdout.contains("1 run history of deleted graphs"), "\(after.stdout)")
        let rerun = try cli.run("run", "graph.yaml")
        #expect(rerun.stdout.contains("finished: 0 ran, 5 cached"), "graph.yaml's entries and history stay: \(rerun.stdout)")
    }
}
