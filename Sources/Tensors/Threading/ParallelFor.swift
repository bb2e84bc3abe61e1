import Dispatch
import Foundation
internal import CKernels

extension TensorThreads {
    /// Splits `0..<count` into up to `TensorThreads.count` contiguous ranges and runs `body`
    /// on each in parallel; fewer than `grain` items per thread run inline on the caller.
    /// The one parallel loop of the process: tensor ops, weight conversion, LoRA fusing and
    /// media conversion all use it, so `TensorThreads.count` bounds them all. `body` gets
    /// disjoint ranges and must write only what belongs to its range.
    public static func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        Tensors.parallelFor(count, grain: grain, body)
    }
}

/// Splits `0..<count` into contiguous chunks and runs `body` on each, on up to
/// `TensorThreads.count` threads. Work smaller than `grain` items per thread runs inline, so
/// small tensors never pay for a thread hop.
///
/// `body` receives disjoint ranges; callers write only to the part of their output that
/// belongs to the range they were given.
func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = TensorThreads.count
    let chunks = min(threads, max(1, count / max(1, grain)))
    if chunks <= 1 {
        body(0..<count)
        return
    }
    func chunk(_ chunk: Int) {
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        if start < end { body(start..<end) }
    }
    switch WorkerPool.run(chunks, threads: threads, { item, _ in chunk(item) }) {
    case .ran: return
    case .nested: for i in 0..<chunks { chunk(i) }
    case .unavailable:
        withoutActuallyEscaping(chunk) { chunk in
            let box = SendableBox(chunk)
            DispatchQueue.concurrentPerform(iterations: chunks) { box.value($0) }
        }
    }
}

/// Like `parallelFor`, but hands out single items dynamically (for uneven work such as one
/// attention head per item). `body` gets the item index and the index of the worker
/// (`0..<workers`), so a worker can own a scratch buffer.
func parallelForEach(_ count: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(workers, count))
    if workers == 1 {
        for i in 0..<count { body(i, 0) }
        return
    }
    switch WorkerPool.run(count, threads: workers, body) {
    case .ran: return
    case .nested:
        for i in 0..<count { body(i, 0) }
        return
    case .unavailable: break
    }
    let next = AtomicCounter()
    withoutActuallyEscaping(body) { body in
        let box = SendableBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let i = next.takeNext()
                if i >= count { break }
                box.value(i, worker)
            }
        }
    }
}

/// Carries a non-`Sendable` value (a closure over borrowed buffers) into
/// `concurrentPerform`.
///
/// Invariant that makes it safe: the value is used only inside the `concurrentPerform` call
/// that receives it, which returns after every worker finished, and the workers touch
/// disjoint parts of any buffer they write.
struct SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The persistent worker threads behind `parallelFor` and `parallelForEach` (CKernels'
/// `reelflow_pool_run`): workers that spin briefly between jobs, so the many short ops of a
/// forward pass do not each pay a thread wake-up, as `DispatchQueue.concurrentPerform` does.
enum WorkerPool {
    enum Outcome {
        /// Every item ran.
        case ran
        /// Called from inside a pool job: the caller runs the items itself.
        case nested
        /// The pool is taken by another thread's job (or absent): the caller runs its own path.
        case unavailable
    }

    /// Runs `body(item, worker)` for every item in `0..<count` on up to `threads` threads
    /// (`worker` in `0..<threads`, 0 the caller), items handed out one at a time.
    static func run(_ count: Int, threads: Int, _ body: (_ item: Int, _ worker: Int) -> Void) -> Outcome {
        guard enabled else { return .unavailable }
        return withoutActuallyEscaping(body) { body in
            var body = body
            let status = withUnsafeMutablePointer(to: &body) { pointer in
                reelflow_pool_run(count, Int32(clamping: threads), { context, item, worker in
                    context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(item, Int(worker))
                }, pointer)
            }
            switch status {
            case 0: return .ran
            case 1: return .nested
            default: return .unavailable
            }
        }
    }

    /// `REELFLOW_POOL=0` turns the pool off: every parallel loop runs on
    /// `DispatchQueue.concurrentPerform`, as before the pool (for comparison, or on a machine
    /// whose cores other processes need more than a spinning worker's 0.1 ms).
    static let enabled = ProcessInfo.processInfo.environment["REELFLOW_POOL"] != "0"

    /// Runs `body` with the pool's idle workers asleep rather than spinning, for code that
    /// runs threads of its own on the same cores (oneDNN's OpenMP team).
    static func withWorkersAsleep<R>(_ body: () throws -> R) rethrows -> R {
        reelflow_pool_spin(0)
        defer { reelflow_pool_spin(1) }
        return try body()
    }
}
