import ArgumentParser
import Foundation
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import Tensors

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a graph: only what its output nodes need, reusing cached results.")

    @OptionGroup var graphOptions: GraphOptions
    @OptionGroup var cacheOptions: CacheOptions

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
        let options = RunOptions(targets: only, jobs: jobs, cache: cache)
        let executor = Executor(registry: registry, graph: graph)
        // The shared lock keeps `cache gc` and `cache clear` from removing entries under a
        // running graph; other runs share it.
        let lock: CacheLock?
        do { lock = try cache?.acquireLock(.shared) } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.internalError
        }
        let task = Task { try await executor.run(options, events: sink) }
        let interrupt = InterruptHandler { task.cancel() }
        defer { interrupt.cancel() }
        let summary: RunSummary
        do {
            summary = try await task.value
            lock?.release()
        } catch is CancellationError {
            Terminal.printError("interrupted: running nodes were stopped; nothing partial was cached")
            throw ExitCodes.interrupted
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

/// Turns SIGINT (Ctrl-C) into a task cancellation while a run is in progress.
final class InterruptHandler {
    private let source: any DispatchSourceSignal

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler(handler: onInterrupt)
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
