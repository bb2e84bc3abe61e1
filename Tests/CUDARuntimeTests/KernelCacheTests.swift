import Foundation
import Testing
@testable import CUDARuntime

/// The on-disk kernel cache: a kernel compiles once per source, architecture, options and
/// NVRTC version; a damaged or colliding entry is recompiled, never used.
@Suite struct KernelCacheTests {
    /// A stand-in compiler (the real NVRTC is tested in NVRTCCompileTests where it exists):
    /// an ELF-tagged blob that depends on the key, and a count of calls.
    final class FakeCompiler: @unchecked Sendable {
        var calls = 0
        func compile(_ key: KernelCache.Key) -> [UInt8] {
            calls += 1
            return [0x7F, 0x45, 0x4C, 0x46] + Array("\(key.name) sm_\(key.architecture) \(key.source.count)".utf8)
        }
    }

    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func compilesOnceThenHitsAndKeysOnEverythingThatMatters() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = KernelCache(root: root + "/kernels")
        let compiler = FakeCompiler()
        let key = KernelCache.Key(source: "__global__ void k() {}", name: "k.cu", architecture: 90, compilerVersion: "13.0")
        let first = try cache.cubin(for: key, compile: compiler.compile)
        let second = try cache.cubin(for: key, compile: compiler.compile)
        #expect(!first.cached && second.cached && first.cubin == second.cubin && compiler.calls == 1)
        var other = key
        other.architecture = 100
        #expect(try !cache.cubin(for: other, compile: compiler.compile).cached)
        other = key
        other.compilerVersion = "13.1"
        #expect(try !cache.cubin(for: other, compile: compiler.compile).cached)
        other = key
        other.options = ["-DFAST"]
        #expect(try !cache.cubin(for: other, compile: compiler.compile).cached)
        #expect(compiler.calls == 4)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aDamagedOrForeignEntryIsRecompiled() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = KernelCache(root: root)
        let compiler = FakeCompiler()
        let key = KernelCache.Key(source: "src", name: "k.cu", architecture: 90, compilerVersion: "13.0")
        _ = try cache.cubin(for: key, compile: compiler.compile)
        let base = root + "/" + key.digest.prefix(2) + "/" + key.digest
        // A truncated cubin (not ELF) is not trusted.
        try Data([0x7F]).write(to: URL(fileURLWithPath: base + ".cubin"))
        #expect(try !cache.cubin(for: key, compile: compiler.compile).cached)
        // Key material that differs (a hash collision, or an entry for another source) is not trusted.
        try Data("something else".utf8).write(to: URL(fileURLWithPath: base + ".key"))
        let again = try cache.cubin(for: key, compile: compiler.compile)
        #expect(!again.cached && compiler.calls == 3)
        #expect(try cache.cubin(for: key, compile: compiler.compile).cached, "the rewritten entry is sound")
    }

    @Test func anUnwritableCacheStillCompiles() throws {
        let compiler = FakeCompiler()
        let cache = KernelCache(root: "/proc/reelflow-cannot-write-here")
        let key = KernelCache.Key(source: "s", name: "k.cu", architecture: 90, compilerVersion: "13.0")
        #expect(try !cache.cubin(for: key, compile: compiler.compile).cached)
        #expect(try !cache.cubin(for: key, compile: compiler.compile).cached)
        #expect(compiler.calls == 2)
    }
}
