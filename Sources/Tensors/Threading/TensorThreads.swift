import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process-wide number of threads tensor ops may use.
///
/// One setting drives both levels of parallelism: the OpenBLAS thread pool used by GEMM
/// (`linear`, `matmul`, convolution) and the parallel loops of element-wise ops, norms and
/// attention, and every other parallel loop of the process (`parallelFor`: weight conversion,
/// LoRA fusing, media conversion). It starts at `OPENBLAS_NUM_THREADS` when that is set,
/// otherwise at the number of online cores. An engine that runs several heavy nodes at once
/// should lower it (`reelflow run --jobs N` sets it to cores / N) so the two levels do not
/// oversubscribe the machine.
public enum TensorThreads {
    private static let state: Mutex<State> = {
        let n = TensorThreads.initialCount()
        return Mutex(State(count: n, singleThreadedSections: 0, blasThreads: n))
    }()

    private struct State {
        var count: Int
        /// How many callers are inside `withSingleThreadedBLAS` right now.
        var singleThreadedSections: Int
        /// OpenBLAS's thread count as last set.
        var blasThreads: Int

        /// Sets OpenBLAS's thread count unless it already is `n`.
        mutating func setBLAS(_ n: Int) {
            if blasThreads != n {
                BLAS.setThreadCount(n)
                blasThreads = n
            }
        }
    }

    /// Threads tensor ops may use; at least 1. Setting it also sets OpenBLAS's thread count
    /// (`openblas_set_num_threads`).
    public static var count: Int {
        get { state.withLock { $0.count } }
        set {
            let value = max(1, newValue)
            state.withLock { s in
                s.count = value
                if s.singleThreadedSections == 0 { s.setBLAS(value) }
            }
        }
    }

    /// The number of online cores, the default for `count`.
    public static var coreCount: Int {
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? n : 1
    }

    /// The OpenBLAS kernel family in use (e.g. `Haswell` when `OPENBLAS_CORETYPE=Haswell`
    /// pins the AVX2 kernels, `SkylakeX` or `Cooperlake` for AVX-512).
    public static var blasCoreName: String { BLAS.coreName() }

    /// The starting thread count: `OPENBLAS_NUM_THREADS` when it is set to a positive number
    /// (so the usual OpenBLAS knob limits every parallel loop, not just GEMM), otherwise the
    /// number of online cores.
    static func startingCount(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } ?? coreCount
    }

    private static func initialCount() -> Int {
        let n = startingCount()
        BLAS.setThreadCount(n)
        return n
    }

    /// Stops OpenBLAS's idle worker threads, which otherwise spin for about 0.1 s of CPU each
    /// after the library loads and after every multithreaded BLAS call; they start again on
    /// the next BLAS call that wants them. Call it at process start (the `reelflow` command
    /// does), where it saves each worker's 0.1 s spin in processes that never touch BLAS,
    /// such as decoding a video. Does nothing with a BLAS that cannot do it.
    /// - Returns: whether the workers were stopped.
    /// - Precondition: no tensor op is running on any thread.
    /// Makes OpenBLAS use the kernels this CPU is best served by when it fell back to generic
    /// ones for a CPU it does not know (see `BLAS.replaceGenericCoreChoice`). Call it at process
    /// start, before any tensor op (the `reelflow` command does).
    /// - Returns: the kernel families before and after, or nil when OpenBLAS's choice stands.
    @discardableResult
    public static func repairBLASKernelChoice() -> (from: String, to: String)? {
        state.withLock { _ in BLAS.replaceGenericCoreChoice() }
    }

    @discardableResult
    public static func stopIdleBLASThreads() -> Bool {
        state.withLock { _ in BLAS.shutDownIdleThreads() }
    }

    /// Runs `body` with OpenBLAS limited to one thread, for ops that parallelise at their own
    /// level (attention over heads) and call small GEMMs from every worker. Nested and
    /// concurrent sections are counted.
    ///
    /// The pool is not restored when the last section ends, only before the next large GEMM
    /// outside any section (`prepareBLASForCall`): each change of OpenBLAS's thread count
    /// wakes its workers, which then spin for about 0.1 s of CPU, so back-to-back attention
    /// calls must not switch it off and on each time.
    static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        state.withLock { s in
            s.setBLAS(1)
            s.singleThreadedSections += 1
        }
        defer { state.withLock { $0.singleThreadedSections -= 1 } }
        return try body()
    }

    /// The threads a library with its own pool (oneDNN's OpenMP) may use for one call: `count`,
    /// or 1 inside a single-threaded section, whose callers already run on every core.
    static var threadsForLibraryCall: Int {
        state.withLock { $0.singleThreadedSections == 0 ? $0.count : 1 }
    }

    /// Called by the BLAS wrapper before every GEMM. Inside a single-threaded section it
    /// changes nothing and returns 1. Outside, a `large` product gets OpenBLAS's `count`
    /// threads (returns 1: call OpenBLAS once); a small one keeps OpenBLAS on one thread and
    /// returns `count`, the parts the caller may split it into on the `TensorThreads` pool.
    /// Either way OpenBLAS's count changes only when the kind of product changes.
    static func prepareBLASForCall(large: Bool) -> Int {
        state.withLock { s in
            guard s.singleThreadedSections == 0 else { return 1 }
            if large {
                s.setBLAS(s.count)
                return 1
            }
            s.setBLAS(1)
            return s.count
        }
    }
}
