import Foundation
import ReelflowIO
import Synchronization
import Testing

/// Output files (ReelflowIO): concurrent writers to one path, what an output may replace,
/// and temporary files left by processes that died.
@Suite struct OutputFileTests {
    /// Writes `count` files to `dir/n.txt` from as many threads at once under `policy`;
    /// returns the paths reported and the errors.
    static func writeConcurrently(_ count: Int, to dir: String, policy: ExistingOutputPolicy) -> ([String], Int) {
        let results = Mutex<([String], Int)>(([], 0))
        DispatchQueue.concurrentPerform(iterations: count) { i in
            do {
                let written = try AtomicFileWriter.write(to: URL(fileURLWithPath: dir + "/n.txt"), policy: policy) { tmp in
                    try Data("text \(i)\n".utf8).write(to: tmp)
                }
                results.withLock { $0.0.append(written.path) }
            } catch {
                results.withLock { $0.1 += 1 }
            }
        }
        return results.withLock { $0 }
    }

    @Test func concurrentNumberedWritersNeverShareAName() throws {
        let scratch = try ScratchDirectory("outputs")
        for round in 0..<10 {
            let (paths, errors) = Self.writeConcurrently(8, to: scratch.path, policy: .number)
            #expect(errors == 0)
            #expect(Set(paths).count == paths.count, "round \(round): two writers reported the same name")
        }
        let files = filesIn(scratch.path)
        #expect(files.count == 80, "every text is kept: \(files.count) files")
        #expect(!files.contains { $0.hasPrefix(".") }, "no temporary file is left")
    }

    @Test func concurrentRefusingWritersLeaveOneWinner() throws {
        let scratch = try ScratchDirectory("outputs")
        let (paths, errors) = Self.writeConcurrently(6, to: scratch.path, policy: .refuse)
        #expect(paths.count == 1 && errors == 5)
        #expect(filesIn(scratch.path) == ["n.txt"])
    }

    /// The one JSON string escaper (canonical JSON, safetensors headers, `fmt`'s quoted YAML).
    @Test func jsonStringEscapesTheMinimum() {
        #expect(JSONString.quoted("a\"b\\c/d\n\r\t\u{1}\u{1F}é") == #""a\"b\\c/d\n\r\t\u0001\u001fé""#)
        #expect(JSONString.quoted("\u{7F}\u{85}\u{FEFF}") == "\"\u{7F}\u{85}\u{FEFF}\"")
        #expect(JSONString.quoted("\u{7F}\u{85}\u{FEFF}x") { $0.value == 0x7F || $0.value == 0x85 || $0 == "\u{FEFF}" }
                == #""\u007f\u0085\ufeffx""#)
    }

    @Test func onlyRegularFilesAreReplaced() throws {
        let scratch = try ScratchDirectory("outputs")
        let fifo = scratch.path + "/fifo.txt", dangling = scratch.path + "/link.txt", dir = scratch.path + "/d.txt"
        #expect(mkfifo(fifo, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: scratch.path + "/none")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        for path in [fifo, dangling, dir] {
            for policy in ExistingOutputPolicy.allCases {
                #expect(throws: OutputFileError.self, "\(policy) at \(path)") {
                    try AtomicFileWriter.write(to: URL(fileURLWithPath: path), policy: policy) { tmp in
                        try Data("x".utf8).write(to: tmp)
                    }
                }
            }
        }
        #expect(OutputPathsProbe.isFIFO(fifo))
        #expect(throws: OutputFileError.self) {
            try AtomicFileWriter.write(to: URL(fileURLWithPath: scratch.path + "/new/"), policy: .overwrite) { tmp in
                try Data("x".utf8).write(to: tmp)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/new"))
    }

    @Test func staleTemporaryFilesOfDeadProcessesAreRemoved() throws {
        let scratch = try ScratchDirectory("outputs")
        // A process that has exited: its id is free (until reused, when the file is kept).
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = scratch.path + "/.w.txt.tmp-\(child.processIdentifier)-12345.txt"
        let live = scratch.path + "/.w.txt.tmp-\(getppid())-12345.txt"
        let unrelated = scratch.path + "/.notes.tmp-abc.txt"
        for path in [dead, live, unrelated] { _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) }
        try AtomicFileWriter.write(to: URL(fileURLWithPath: scratch.path + "/w.txt"), policy: .overwrite) { tmp in
            try Data("new".utf8).write(to: tmp)
        }
        #expect(filesIn(scratch.path) == [".notes.tmp-abc.txt", ".w.txt.tmp-\(getppid())-12345.txt", "w.txt"])
    }
}

enum OutputPathsProbe {
    static func isFIFO(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO
    }
}
