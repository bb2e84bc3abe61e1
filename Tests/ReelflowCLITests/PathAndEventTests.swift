import Foundation
import Testing

/// Smaller findings of issue 8: paths, ids, input files and events.
@Suite struct PathAndEventTests {
    func graph(load: String = "note.txt", save: String = "out.txt", id: String = "save") -> String {
        """
        reelflow: 1
        nodes:
          note:
            type: LoadText
            path: \(load)
          \(id):
            type: SaveText
            text: $note
            path: \(save)
            existing: overwrite

        """
    }

    @Test func tildeExpandsToHOME() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("home/note.txt", "from home")
        try cli.write("g.yaml", graph(load: "~/note.txt"))
        let result = try cli.run(["run", "g.yaml"], environment: ["HOME": cli.dir.path + "/home"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try cli.read("out.txt") == "from home")
    }

    @Test func aTrailingSlashIsNotWrittenAsAFile() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "x")
        try cli.write("g.yaml", graph(save: "result/"))
        let result = try cli.run("run", "g.yaml")
        #expect(result.status == 1)
        #expect(result.stderr.contains("ends in '/'"))
        #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/result"))
    }

    @Test func aDeviceAsInputFailsValidation() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("g.yaml", graph(load: "/dev/zero"))
        let result = try cli.run("validate", "g.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("note.path: not a regular file: /dev/zero"))
    }

    @Test func nodeIDsWithDotsOrDollarsAreRefused() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "x")
        try cli.write("g.yaml", graph(id: "note.text"))
        let result = try cli.run("validate", "g.yaml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("node id 'note.text' contains '.'"))
    }

    @Test func aFailedRunStillEndsWithRunFinished() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("note.txt", "x")
        try cli.write("g.yaml", graph(save: "missing-dir/../out.txt/"))
        let result = try cli.run("run", "g.yaml", "--json")
        #expect(result.status == 1)
        let last = try #require(result.stdout.split(separator: "\n").last)
        #expect(last.contains("\"event\":\"run-finished\""))
        #expect(last.contains("\"ok\":false"))
    }
}
