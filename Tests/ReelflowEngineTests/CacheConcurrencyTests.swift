import Dispatch
import Foundation
import Synchronization
import Testing
@testable import ReelflowEngine

@Suite struct CacheConcurrencyTests {
    /// Many threads, each with its own `CacheStore` instance on one root (as separate
    /// processes would have), write and read the same keys and different keys at once. Every
    /// lookup sees a miss or a complete hit, never a damaged or partial entry.
    @Test func concurrentWritersAndReadersOfSameAndDifferentKeys() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.url.appendingPathComponent("root")
        let failures = Mutex<[String]>([])
        let hits = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let store = try CacheStore(root: root, maxBytes: nil, durable: false)
                for round in 0..<40 {
                    // Half the nodes are shared by all workers, half are this worker's own.
                    let node = round % 2 == 0 ? "shared-\(round % 10)" : "own-\(worker)-\(round)"
                    let payload = Array(repeating: UInt8(0), count: 2048)
                        + Array(node.utf8)
                    var builder = KeyBuilder()
                    builder.add("type", string: "Test")
                    builder.add("node", string: node)
                    let key = builder.finalize()
                    switch store.lookup(key) {
                    case .hit(let manifest):
                        let data = try store.readBlob(manifest.outputs["v"]!.blob)
                        if Array(data) != payload { failures.withLock { $0.append("wrong bytes for \(node)") } }
                        hits.add(1, ordering: .relaxed)
                    case .damaged(let reason):
                        failures.withLock { $0.append("damaged: \(reason)") }
                    case .miss:
                        let blob = try store.putBlob(data: payload)
                        try store.commit(CacheManifest(
                            key: key, nodeID: node, nodeType: "Test", nodeVersion: 1, params: "{}", inputs: [:],
                            outputs: ["v": CacheOutput(blob, portType: "INT", encoding: "raw")],
                            durationSeconds: 0, engineVersion: "test"))
                    }
                    store.touch(key)
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(hits.load(ordering: .relaxed) > 0)
        let store = try CacheStore(root: root, maxBytes: nil)
        let stats = try store.stats()
        // 5 shared nodes (even rounds: round % 10 in 0, 2, 4, 6, 8) and 20 own nodes per worker.
        #expect(stats.entries == 5 + 8 * 20)
        #expect(stats.blobs == 5 + 8 * 20)
        #expect(stats.temporaryFiles == 0)
        #expect(try store.list().allSatisfy { $0.damage == nil })
    }

    /// Readers racing a writer that keeps replacing one entry see the old or the new
    /// manifest, never a torn one.
    @Test func readersNeverSeeATornManifest() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let key = Digest.of(string: "contended")
        let blob = try store.putBlob(data: Array(repeating: 1, count: 10))
        let problems = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for round in 0..<300 {
                if worker == 0 {
                    // Vary the manifest's length so a torn read would not parse.
                    let manifest = CacheManifest(
                        key: key, nodeID: String(repeating: "n", count: 1 + round % 50), nodeType: "T", nodeVersion: 1,
                        params: "{}", inputs: [:], outputs: ["v": CacheOutput(blob, portType: "INT", encoding: "raw")],
                        durationSeconds: 0, engineVersion: "test")
                    do { try store.commit(manifest) } catch { problems.withLock { $0.append("\(error)") } }
                } else if case .damaged(let reason) = store.lookup(key) {
                    problems.withLock { $0.append(reason) }
                }
            }
        }
        #expect(problems.withLock { $0 } == [])
    }

    /// `flock` belongs to the open file description: two lock objects on one root exclude
    /// each other exactly as two processes would.
    @Test func locksAcrossTwoDescriptors() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let other = try CacheStore(root: store.root, maxBytes: nil)
        let runA = try store.acquireLock(.shared)
        let runB = try other.acquireLock(.shared, wait: false)  // shared + shared: fine
        #expect(throws: CacheError.self) { _ = try other.acquireLock(.exclusive, wait: false) }
        runA.release()
        #expect(!runA.isHeld)
        runA.release()  // idempotent
        #expect(throws: CacheError.self) { _ = try store.acquireLock(.exclusive, wait: false) }
        runB.release()
        let cleaner = try store.acquireLock(.exclusive, wait: false)
        #expect { _ = try other.acquireLock(.shared, wait: false) } throws: { error in
            let error = try #require(error as? CacheError)
            return error.kind == .busy && error.reason.contains("being cleaned")
        }
        cleaner.release()
        let value = try other.withSharedLock { 42 }
        #expect(value == 42)
    }

    /// A blocked shared lock is granted as soon as the exclusive holder releases. The waiter
    /// blocks a Dispatch thread, not the cooperative pool.
    @Test func sharedLockWaitsForCleaner() throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let cleaner = try store.acquireLock(.exclusive)
        let released = Atomic<Bool>(false)
        let observed = Mutex<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let lock = try? store.acquireLock(.shared)  // blocks until the cleaner releases
            observed.withLock { $0 = lock.map { _ in released.load(ordering: .acquiring) } }
            lock?.release()
            done.signal()
        }
        usleep(100_000)
        released.store(true, ordering: .releasing)
        cleaner.release()
        done.wait()
        #expect(observed.withLock { $0 } == true)
    }

    @Test func asyncSharedLockIsReleasedAfterTheBody() async throws {
        let (store, scratch) = try makeStore()
        defer { withExtendedLifetime(scratch) {} }
        let value = try await store.withSharedLock { () async -> Int in
            await Task.yield()
            #expect(throws: CacheError.self) { _ = try store.acquireLock(.exclusive, wait: false) }
            return 7
        }
        #expect(value == 7)
        try store.acquireLock(.exclusive, wait: false).release()
    }

    /// Another real process (`flock(1)`) holding the shared lock keeps gc away.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func gcIsRefusedWhileAnotherProcessRuns() throws {
        let (store, scratch) = try makeStore(maxBytes: 1)
        defer { withExtendedLifetime(scratch) {} }
        let entry = try commitEntry(store, node: "a", payloads: ["v": [1, 2, 3]])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // The shell holds the lock (with flock) until its stdin closes.
        process.arguments = ["--shared", store.root.path + "/lock", "/bin/sh", "-c", "echo locked; read line || true"]
        let pipe = Pipe()
        let input = Pipe()
        process.standardOutput = pipe
        process.standardInput = input
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line == "locked\n")

        #expect { _ = try store.gc() } throws: { ($0 as? CacheError)?.kind == .busy }
        #expect(try store.enforceLimit() == nil)
        #expect(try store.withSharedLock { store.lookup(entry.key) } == .hit(entry))  // runs share

        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try store.gc().evicted.map(\.nodeID) == ["a"])
    }
}
