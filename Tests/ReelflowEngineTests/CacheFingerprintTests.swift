import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheFingerprintTests {
    @Test func smallFilesAreContentHashed() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let file = scratch.url.appendingPathComponent("prompt.txt")
        try Data("a cat on a mat".utf8).write(to: file)
        let fingerprinter = store.fingerprinter()
        let fingerprint = try fingerprinter.fingerprint(of: file)
        #expect(fingerprint.path == file.path)
        #expect(fingerprint.size == 14)
        #expect(fingerprint.contentDigest == Digest.of(string: "a cat on a mat"))
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        let mtime = try #require(attributes[.modificationDate] as? Date)
        #expect(abs(Double(fingerprint.modifiedNanoseconds) / 1e9 - mtime.timeIntervalSince1970) < 0.001)
        #expect(fingerprinter.contentHashCount == 1)
    }

    @Test func bigFilesSkipContentInStandardMode() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let file = scratch.url.appendingPathComponent("model.safetensors")
        try Data(repeating: 3, count: 1000).write(to: file)
        let fingerprinter = store.fingerprinter(mode: .standard, smallFileLimit: 100)
        let fingerprint = try fingerprinter.fingerprint(of: file)
        #expect(fingerprint.contentDigest == nil)
        #expect(fingerprint.size == 1000)
        #expect(fingerprinter.contentHashCount == 0)
    }

    @Test func bigFileIsHashedOnceAcrossInstancesThroughTheMemo() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let file = scratch.url.appendingPathComponent("model.safetensors")
        let content = Data(repeating: 3, count: 1000)
        try content.write(to: file)

        let first = store.fingerprinter(mode: .fullContent, smallFileLimit: 100)
        let a = try first.fingerprint(of: file)
        #expect(a.contentDigest == Digest.of(data: content))
        _ = try first.fingerprint(of: file)
        #expect(first.contentHashCount == 1)
        #expect(first.bytesHashed == 1000)
        #expect(FileManager.default.fileExists(atPath: store.root.path + "/fingerprints.json"))

        // A new instance (as in the next process) finds the digest in the memo file.
        let second = store.fingerprinter(mode: .fullContent, smallFileLimit: 100)
        #expect(try second.fingerprint(of: file) == a)
        #expect(second.contentHashCount == 0)

        // A changed file (new size and mtime) is hashed again.
        let changed = Data(repeating: 4, count: 1001)
        try changed.write(to: file)
        let third = store.fingerprinter(mode: .fullContent, smallFileLimit: 100)
        #expect(try third.fingerprint(of: file).contentDigest == Digest.of(data: changed))
        #expect(third.contentHashCount == 1)
        #expect(filesIn(store.root.path + "/tmp").isEmpty)
    }

    @Test func sameSizeAndMtimeButNewInodeIsRehashed() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let file = scratch.url.appendingPathComponent("model.bin")
        try Data(repeating: 1, count: 500).write(to: file)
        let fixed = Date(timeIntervalSince1970: 1_650_000_000)
        try setModified(file.path, fixed)
        let first = store.fingerprinter(mode: .fullContent, smallFileLimit: 10)
        let before = try first.fingerprint(of: file)
        // Replace by rename with identical size and mtime (what `cp -p` over it could do).
        let other = scratch.url.appendingPathComponent("other.bin")
        try Data(repeating: 2, count: 500).write(to: other)
        try setModified(other.path, fixed)
        #expect(rename(other.path, file.path) == 0)
        let second = store.fingerprinter(mode: .fullContent, smallFileLimit: 10)
        let after = try second.fingerprint(of: file)
        #expect(second.contentHashCount == 1)
        #expect(after.contentDigest != before.contentDigest)
        #expect(after.contentDigest == Digest.of(data: Data(repeating: 2, count: 500)))
    }

    @Test func missingFileAndDirectoryAreClearErrors() throws {
        let scratch = try ScratchDirectory()
        let fingerprinter = FileFingerprinter()
        let missing = scratch.url.appendingPathComponent("nope.mp4")
        #expect { _ = try fingerprinter.fingerprint(of: missing) } throws: { error in
            (error as? CacheError)?.description == "cache: \(missing.path): the file does not exist"
        }
        #expect { _ = try fingerprinter.fingerprint(of: scratch.url) } throws: { error in
            (error as? CacheError)?.description == "cache: \(scratch.path): not a regular file, cannot fingerprint it"
        }
    }
}
