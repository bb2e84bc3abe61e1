import Dispatch
import Glibc
import Synchronization
import Testing
@testable import Tensors

/// The persistent workers behind `parallelFor` and `parallelForEach`: every item runs once per
/// job, on a thread slot below the thread count, with jobs back to back, nested, from several
/// threads at once and with the workers asleep.
///
/// Other suites run beside this one and use the pool too, so a direct call may find it taken
/// (`.unavailable`, nothing run): `runOnPool` tries again until the pool takes the job.
@Suite(.serialized) struct WorkerPoolTests {
    private func runOnPool(_ count: Int, threads: Int, _ body: (Int, Int) -> Void) -> WorkerPool.Outcome {
        for _ in 0..<1_000_000 {
            let outcome = WorkerPool.run(count, threads: threads, body)
            if outcome != .unavailable { return outcome }
            sched_yield()
        }
        return .unavailable
    }

    /// Runs `count` items on `threads` threads and returns how often each item ran and the
    /// largest slot seen.
    private func tally(_ count: Int, threads: Int) -> (runs: [Int], maxSlot: Int, outcome: WorkerPool.Outcome) {
        let runs = Mutex([Int](repeating: 0, count: count)), slot = Mutex(0)
        let outcome = runOnPool(count, threads: threads) { item, worker in
            runs.withLock { $0[item] += 1 }
            slot.withLock { $0 = max($0, worker) }
        }
        return (runs.withLock { $0 }, slot.withLock { $0 }, outcome)
    }

    @Test func everyItemRunsOnceInJobsBackToBack() {
        for job in 0..<2000 {
            let count = 1 + job % 37, threads = 2 + job % 3
            let (runs, maxSlot, outcome) = tally(count, threads: threads)
            #expect(outcome == .ran, "job \(job)")
            #expect(runs == [Int](repeating: 1, count: count), "job \(job): \(count) items")
            #expect(maxSlot < threads, "job \(job): slot \(maxSlot) of \(threads) threads")
        }
    }

    /// Every item has finished when `run` returns: each ends by setting its flag after about
    /// 0.1 ms of work, and the flags are read at once (a caller that returned while a worker
    /// still ran its last item would see that flag unset).
    @Test func everyItemHasFinishedWhenRunReturns() {
        let count = 16
        let flags = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        defer { flags.deallocate() }
        let address = Int(bitPattern: flags.baseAddress!)
        let byWorkers = Mutex(0)
        for round in 1...100 {
            flags.initialize(repeating: 0)
            let outcome = runOnPool(count, threads: 2) { item, worker in
                if worker > 0 { byWorkers.withLock { $0 += 1 } }
                var v = Double(item + round)
                for _ in 0..<20_000 { v = (v * 1.000001).squareRoot() + 1 }
                UnsafeMutablePointer<Double>(bitPattern: address)![item] = v
            }
            let unfinished = flags.filter { $0 == 0 }.count
            #expect(outcome == .ran)
            #expect(unfinished == 0, "round \(round): \(unfinished) items still running when run returned")
        }
        #expect(byWorkers.withLock { $0 } > 0, "the workers took items")
    }

    @Test func aCallFromInsideAnItemRunsInline() {
        let inner = Mutex([WorkerPool.Outcome]())
        let outcome = runOnPool(8, threads: 2) { _, _ in
            let o = WorkerPool.run(3, threads: 2) { _, worker in #expect(worker == 0) }
            inner.withLock { $0.append(o) }
        }
        #expect(outcome == .ran)
        #expect(inner.withLock { $0 } == [WorkerPool.Outcome](repeating: .nested, count: 8))
        // parallelFor inside an item still covers its whole range (inline).
        let covered = Mutex(0)
        parallelFor(4, grain: 1) { outer in
            for _ in outer {
                parallelFor(100, grain: 1) { range in covered.withLock { $0 += range.count } }
            }
        }
        #expect(covered.withLock { $0 } == 400)
    }

    @Test func oneThreadIsDeclined() {
        #expect(WorkerPool.run(5, threads: 1) { _, _ in } == .unavailable)
    }

    /// Callers on several threads at once: one holds the pool, the others take their own path
    /// (`parallelFor` then runs on Dispatch), and every range is covered exactly once.
    @Test func concurrentCallersAllFinish() async {
        let saved = TensorThreads.count
        TensorThreads.count = 2
        defer { TensorThreads.count = saved }
        let totals = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<6 {
                group.addTask {
                    var total = 0
                    for _ in 0..<300 {
                        let sum = Mutex(0)
                        parallelFor(1000 + caller, grain: 1) { range in sum.withLock { $0 += range.count } }
                        total += sum.withLock { $0 }
                    }
                    return total
                }
            }
            var all: [Int] = []
            for await t in group { all.append(t) }
            return all.sorted()
        }
        #expect(totals == (0..<6).map { 300 * (1000 + $0) })
    }

    /// With the workers told to sleep (as around oneDNN's own threads) jobs still run: the
    /// workers are woken for each.
    @Test func jobsRunWhileTheWorkersSleep() {
        WorkerPool.withWorkersAsleep {
            for job in 0..<200 {
                let (runs, _, outcome) = tally(16, threads: 2)
                #expect(outcome == .ran)
                #expect(runs == [Int](repeating: 1, count: 16), "job \(job)")
            }
        }
    }

    /// `REELFLOW_POOL=0` turns the pool off: `run` declines and the loops still cover every
    /// item (on Dispatch). An exit test: the setting is read once per process.
    @Test func anEnvironmentSwitchTurnsThePoolOff() async {
        await #expect(processExitsWith: .success) {
            setenv("REELFLOW_POOL", "0", 1)
            if WorkerPool.run(4, threads: 2, { _, _ in }) != .unavailable { fatalError("the pool ran with REELFLOW_POOL=0") }
            let covered = Mutex(0)
            parallelForEach(100, workers: 2) { _, _ in covered.withLock { $0 += 1 } }
            if covered.withLock({ $0 }) != 100 { fatalError("parallelForEach covered \(covered.withLock { $0 }) of 100 items") }
        }
    }
}
