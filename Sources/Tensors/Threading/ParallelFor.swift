import Dispatch

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
    withoutActuallyEscaping(body) { body in
        let box = SendableBox(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { box.value(start..<end) }
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
