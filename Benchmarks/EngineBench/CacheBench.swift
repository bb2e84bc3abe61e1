import Foundation
import ReelflowEngine

/// The cost of the engine cache on a fully cached rerun, and its write and hash paths.
///
/// Every figure is the median of several repetitions, printed beside a peer measured in the
/// same run on the same files: the raw system calls the operation cannot avoid (open, read,
/// close, stat, utimensat) for lookups, a plain `write` + `rename` for stores, `sha256sum`
/// for streamed hashing.
enum CacheBench {
    static let nodes = 1000
    static let repetitions = 15

    static func run() {
        do { try runThrowing() } catch { print("cache bench failed: \(error)") }
    }

    static func runThrowing() throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-cache-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        print("## Engine cache (\(nodes) small entries, medians of \(repetitions) runs, OPENBLAS_CORETYPE="
              + "\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"))")

        let store = try CacheStore(root: scratch.appendingPathComponent("cache"), maxBytes: nil, durable: false)
        let builders = (0..<nodes).map(builder)
        let keys = builders.map { $0.finalize() }

        // Key building: what the executor does per node before the lookup.
        let keyTime = median { for b in builders { _ = b.finalize() } }
        let buildTime = median { for i in 0..<nodes { _ = builder(i).finalize() } }
        report("key finalize (5 parts)", keyTime, peer: nil)
        report("key build + finalize", buildTime, peer: nil)

        // Cold writes into fresh roots, ours and the peer's interleaved, not fsynced then fsynced.
        for durable in [false, true] {
            let reps = durable ? 3 : 7
            var round = 0
            let (ours, peer) = paired(reps, {
                round += 1
                let fresh = try! CacheStore(root: scratch.appendingPathComponent("cold-\(durable)-\(round)"),
                                            maxBytes: nil, durable: durable)
                for (i, key) in keys.enumerated() { _ = try! fresh.commitSmall(key: key, node: i) }
            }, {
                rawWrites(in: scratch.appendingPathComponent("peer-\(durable)-\(round)"), count: nodes, fsync: durable)
            })
            report("cold put+commit (durable: \(durable))", ours,
                   peer: (durable ? "2 × (write+fsync+rename)" : "2 × (write+rename)", peer))
        }
        var manifests: [CacheManifest] = []
        for (i, key) in keys.enumerated() { manifests.append(try store.commitSmall(key: key, node: i)) }

        // The fully cached rerun: lookup + touch per node, interleaved with the syscall floor.
        let paths = keys.map { store.manifestURL($0).path }
        let blobPaths = manifests.map { store.blobURL($0.outputs["value"]!.digest).path }
        let lookupAndTouch = {
            for key in keys {
                guard case .hit = store.lookup(key) else { fatalError("expected a hit") }
                store.touch(key)
            }
        }
        let (lookupTouch, floor) = paired(repetitions, lookupAndTouch, { rawLookups(paths, blobPaths) })
        report("lookup + touch", lookupTouch, peer: ("open/fstat/read/close + stat + utimensat", floor))
        // The same in thread CPU time (user + system), which other processes barely disturb.
        let (cpuLookup, cpuFloor) = paired(repetitions, lookupAndTouch, { rawLookups(paths, blobPaths) }, clock: cpuNow)
        report("lookup + touch, CPU time", cpuLookup, peer: ("same syscalls, CPU time", cpuFloor))
        let (lookupOnly, floorNoTouch) = paired(repetitions, {
            for key in keys { guard case .hit = store.lookup(key) else { fatalError("expected a hit") } }
        }, { rawLookups(paths, blobPaths, touch: false) })
        report("lookup only", lookupOnly, peer: ("open/fstat/read/close + stat", floorNoTouch))
        let (withRead, floorRead) = paired(repetitions, {
            for key in keys {
                guard case .hit(let m) = store.lookup(key) else { fatalError("expected a hit") }
                store.touch(key)
                _ = try! store.readBlob(m.outputs["value"]!.blob)
            }
        }, {
            rawLookups(paths, blobPaths)
            for path in blobPaths { _ = FileManager.default.contents(atPath: path) }
        })
        report("lookup + touch + verified blob read", withRead, peer: ("same syscalls + blob read", floorRead))

        // Parsing the manifest JSON alone: `engine-bench manifest` (ManifestDecodeBench).

        // Maintenance over the same 1000 entries.
        report("stats()", median { _ = try! store.stats() }, peer: nil, perNode: false)
        report("list()", median { _ = try! store.list() }, peer: nil, perNode: false)
        report("gc() with nothing to evict", median { _ = try! store.gc() }, peer: nil, perNode: false)

        // Streamed hashing of a big file against sha256sum.
        let big = scratch.appendingPathComponent("big.bin")
        try writeBigFile(big, megabytes: 256)
        let (hashTime, shaTime) = paired(3, { _ = try! Digest.of(fileAt: big) }, { shellSHA256(big.path) })
        let gbps = { (t: Double) in String(format: "%.2f GB/s", 256.0 * 1_048_576 / t / 1e9) }
        print(String(format: "- Digest.of(fileAt:) 256 MiB: %.1f ms (%@); sha256sum %.1f ms (%@); ratio %.2f",
                     hashTime * 1e3, gbps(hashTime), shaTime * 1e3, gbps(shaTime), hashTime / shaTime))
    }

    /// Lookup + touch in a loop, for `perf record` (mode `cache-profile`).
    static func profileLookups() {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-cache-profile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try! CacheStore(root: scratch, maxBytes: nil, durable: false)
        let keys = (0..<nodes).map { builder($0).finalize() }
        for (i, key) in keys.enumerated() { _ = try! store.commitSmall(key: key, node: i) }
        let time = once {
            for _ in 0..<200 {
                for key in keys {
                    guard case .hit = store.lookup(key) else { fatalError("expected a hit") }
                    store.touch(key)
                }
            }
        }
        print(String(format: "%.2f µs per lookup + touch", time / Double(200 * nodes) * 1e6))
    }

    // MARK: Workload

    static func builder(_ i: Int) -> KeyBuilder {
        KeyBuilder.nodeKey(type: "Add", version: 1, params: ["a": String(i), "b": "2", "label": "\"node \(i)\""],
                           inputs: ["x": Digest.of(string: "x\(i)"), "y": Digest.of(string: "y")])
    }

    // MARK: Peers

    static func rawLookups(_ paths: [String], _ blobPaths: [String], touch: Bool = true) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        for (path, blob) in zip(paths, blobPaths) {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            var st = stat()
            _ = fstat(fd, &st)
            _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            close(fd)
            _ = stat(blob, &st)
            if touch { _ = utimensat(AT_FDCWD, path, nil, 0) }
        }
    }

    static func rawWrites(in dir: URL, count: Int, fsync doSync: Bool) {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bytes = [UInt8](repeating: 65, count: 700)
        for i in 0..<count {
            for name in ["blob\(i)", "manifest\(i)"] {
                let temp = dir.path + "/" + name + ".tmp"
                let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if doSync { _ = fsync(fd) }
                close(fd)
                _ = rename(temp, dir.path + "/" + name)
            }
        }
    }

    static func shellSHA256(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }

    static func writeBigFile(_ url: URL, megabytes: Int) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var chunk = Data(count: 1 << 20)
        for i in 0..<megabytes {
            chunk[0] = UInt8(truncatingIfNeeded: i)
            try handle.write(contentsOf: chunk)
        }
    }

    // MARK: Timing

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CPU time (user + system) of this thread: unlike wall time, barely affected by other
    /// processes competing for the cores.
    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func once(_ body: () -> Void, clock: () -> Double = now) -> Double {
        let start = clock()
        body()
        return clock() - start
    }

    static func median(_ count: Int = repetitions, _ body: () -> Void) -> Double {
        body()  // warm up
        let times = (0..<count).map { _ in once(body) }.sorted()
        return times[times.count / 2]
    }

    /// Runs `a` and `b` alternately `count` times (after one warm-up each) and returns both
    /// medians, so load from other processes falls on both alike.
    static func paired(_ count: Int, _ a: () -> Void, _ b: () -> Void,
                       clock: () -> Double = now) -> (Double, Double) {
        a()
        b()
        var ta: [Double] = [], tb: [Double] = []
        for _ in 0..<count {
            ta.append(once(a, clock: clock))
            tb.append(once(b, clock: clock))
        }
        return (ta.sorted()[count / 2], tb.sorted()[count / 2])
    }

    static func report(_ name: String, _ seconds: Double, peer: (String, Double)?, perNode: Bool = true) {
        var line = String(format: "- %@: %.2f ms", name, seconds * 1e3)
        if perNode { line += String(format: " (%.2f µs/node)", seconds / Double(nodes) * 1e6) }
        if let (peerName, peerSeconds) = peer {
            line += String(format: "; peer %@: %.2f ms (%.2f µs/node); ratio %.2f",
                           peerName, peerSeconds * 1e3, peerSeconds / Double(nodes) * 1e6, seconds / peerSeconds)
        }
        print(line)
    }
}

extension CacheStore {
    /// Stores a small JSON output and commits a manifest shaped like a real node's.
    func commitSmall(key: Digest, node: Int) throws -> CacheManifest {
        let blob = try putBlob(data: Array("{\"value\": \(node)}".utf8))
        let manifest = CacheManifest(
            key: key, nodeID: "add\(node)", nodeType: "Add", nodeVersion: 1,
            params: "{\"a\":\(node),\"b\":2,\"label\":\"node \(node)\"}",
            inputs: ["x": Digest.of(string: "x\(node)"), "y": Digest.of(string: "y")],
            outputs: ["value": CacheOutput(blob, portType: "INT", encoding: "json")],
            durationSeconds: 0.001, engineVersion: "bench", graphFile: "/bench/graph.yaml")
        try commit(manifest)
        return manifest
    }
}
