import Foundation
import Testing

@Suite struct CacheVerifyTests {
    /// A same-size corruption of a blob nothing reads is found only by re-hashing it.
    @Test func verifyFindsAndRemovesAnUnreadCorruptBlob() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("g.yaml", """
            reelflow: 1
            nodes:
              t:
                type: Text
                text: hello
              save:
                type: SaveText
                text: $t
                path: out.txt
                existing: overwrite

            """)
        #expect(try cli.run("run", "g.yaml").status == 0)
        let clean = try cli.run("cache", "verify")
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("nothing damaged"))

        let cas = cli.cacheDir.appendingPathComponent("cas")
        let blobs = try FileManager.default.subpathsOfDirectory(atPath: cas.path)
            .map { cas.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        let victim = try #require(blobs.first { (try? String(contentsOf: $0, encoding: .utf8)) == "hello" })
        try Data("jello".utf8).write(to: victim)
        let found = try cli.run("cache", "verify")
        #expect(found.status == 1)
        #expect(found.stdout.contains("damaged: \(victim.path)"))
        #expect(found.stdout.contains("removed 1 damaged blob"))
        #expect(!FileManager.default.fileExists(atPath: victim.path))
        #expect(try cli.run("cache", "verify").status == 0)
        let rerun = try cli.run("run", "g.yaml")
        #expect(rerun.status == 0)
        #expect(try cli.read("out.txt") == "hello")
    }
}
