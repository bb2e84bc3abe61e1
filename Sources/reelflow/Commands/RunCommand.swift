import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import ReelflowIO
import Synchronization
import Tensors

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a graph: only what its output nodes need, reusing cached results.")

    @OptionGroup var graphOptions: GraphOptions
    @OptionGroup var cacheOptions: CacheOptions
    @OptionGroup var deviceOptions: DeviceOptions

    @Option(name: .customLong("only"), help: ArgumentHelp(
        "Bring only this node (and what it needs) up to date; repeatable.", valueName: "node"))
    var only: [String] = []

    @Option(help: "How many nodes may run at once (results are identical for any value).")
    var jobs: Int = 1

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the cache; run every needed node.")
    var noCache = false

    @Flag(help: "Print NDJSON events instead of text.")
    var json = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs).") }
    }

    func run() async throws {
        let registry = Reelflow.registry
        let graph = try graphOptions.load(registry: registry)
        let cache = noCache ? nil : try cacheOptions.open()
        // One level of parallelism: nodes running side by side share the cores instead of
        // each starting a full OpenBLAS pool.
        if jobs > 1 { TensorThreads.count = max(1, TensorThreads.count / jobs) }
        let sink: any EngineEventSink = json ? JSONEventSink() : TextEventSink(tty: Terminal.isTTY)
        let settings: [String: String]
        do { settings = try deviceOptions.settings(activate: true) } catch {
            Terminal.printError("error: --device \(deviceOptions.device): \(error)")
            throw ExitCodes.invalidInput
        }
        let options = RunOptions(targets: only, jobs: jobs, cache: cache, settings: settings)
        let executor = Executor(registry: registry, graph: graph)
        // The shared lock keeps `cache gc` and `cache clear` from removing entries under a
        // running graph; other runs share it.
        let lock: CacheLock?
        do {
            do { lock = try cache?.acquireLock(.shared, wait: false) } catch where error.kind == .busy {
                Terminal.printError("waiting for the cache at \(cache!.root.path): `reelflow cache gc`, `verify` or `clear` holds it")
                lock = try cache?.acquireLock(.shared)
            }
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.internalError
        }
        // The handler goes in before the run starts: a signal that came before it would kill
        // the process outright and leave a temporary output file behind.
        let pending = PendingCancellation()
        let interrupt = InterruptHandler { pending.cancel() }
        let task = Task { try await executor.run(options, events: sink) }
        pending.attach { task.cancel() }
        defer { interrupt.cancel() }
        let summary: RunSummary
        do {
            summary = try await task.value
            lock?.release()
        } catch is CancellationError {
            Terminal.printError("interrupted: running nodes were stopped; nothing partial was cached")
            throw interrupt.signalReceived == SIGTERM ? ExitCodes.terminated : ExitCodes.interrupted
        } catch let error as EngineError {
            Terminal.printError("error: \(error)")
            throw error.isUserError ? ExitCodes.nodeFailed : ExitCodes.internalError
        }
        // Only a run that stored something can have pushed the cache over its limit (the
        // check scans the store, which would dominate a fully cached rerun).
        if let cache, !summary.ran.isEmpty {
            do { _ = try cache.enforceLimit() } catch {
                Terminal.printError("warning: cache eviction failed: \(error)")
            }
        }
    }
}

/// A cancellation that may be asked for before there is anything to cancel: it runs when
/// attached if it was asked for already.
final class PendingCancellation: Sendable {
    private let state = Mutex<(requested: Bool, action: (@Sendable () -> Void)?)>((false, nil))

    func cancel() {
        let action = state.withLock { s -> (@Sendable () -> Void)? in
            s.requested = true
            return s.action
        }
        action?()
    }

    func attach(_ action: @escaping @Sendable () -> Void) {
        let requested = state.withLock { s -> Bool in
            s.action = action
            return s.requested
        }
        if requested { action() }
    }
}

/// Turns SIGINT (Ctrl-C) and SIGTERM into a task cancellation while a run is in progress.
///
/// Cancelled nodes stop at their next check and their writers remove their temporary
/// files. A node blocked in a long C call may not check for a while, so after a grace
/// period (or at a second signal) the handler removes every output temporary file still in
/// flight and exits at once with 128 + the signal number.
///
/// The C handler only writes the signal number to a pipe (the self-pipe trick: `write` is
/// async-signal-safe); a thread reads the pipe and does the work. A dispatch signal source
/// is not used because on Linux it loses a signal delivered to a thread that does not
/// block it while the disposition is `SIG_IGN`.
final class InterruptHandler: Sendable {
    static let signals = [SIGINT, SIGTERM]
    static let gracePeriod = 2.0
    /// The first signal received (0 for none).
    private let received = Mutex<Int32>(0)

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        let pipe = SignalPipe.shared
        Thread.detachNewThread { [self] in
            while true {
                let number = pipe.next()
                let first = received.withLock { value in
                    defer { if value == 0 { value = number } }
                    return value == 0
                }
                guard first else { Self.abandon(number) }
                onInterrupt()
                DispatchQueue.global().asyncAfter(deadline: .now() + Self.gracePeriod) { Self.abandon(number) }
            }
        }
        for number in Self.signals { signal(number, signalPipeHandler) }
    }

    /// The signal that interrupted the run, if one did.
    var signalReceived: Int32? {
        let value = received.withLock { $0 }
        return value == 0 ? nil : value
    }

    /// Removes the output temporary files in flight and exits with 128 + `signal`.
    private static func abandon(_ signal: Int32) -> Never {
        TemporaryOutputFiles.removeAll()
        Terminal.printError("interrupted: stopped without waiting for running nodes; nothing partial was cached")
        _exit(128 + signal)
    }

    func cancel() {
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}

/// The pipe the C signal handler writes signal numbers to.
struct SignalPipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    /// Created before any handler is installed, so the handler only loads it.
    static let shared: SignalPipe = {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { fatalError("pipe failed: \(String(cString: strerror(errno)))") }
        return SignalPipe(readEnd: ends[0], writeEnd: ends[1])
    }()

    /// Blocks until a signal number arrives.
    func next() -> Int32 {
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) != 1 {}
        return Int32(byte)
    }
}

/// The C signal handler: async-signal-safe, it only writes the number to the pipe.
private func signalPipeHandler(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(SignalPipe.shared.writeEnd, &byte, 1)
}
