import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process-wide number of threads tensor ops may use.
///
/// One setting drives every parallel loop of the process: the bands of matrix products
/// (`linear`, `matmul`, convolution; OpenBLAS itself stays on one thread), element-wise ops,
/// norms and attention, and the rest (`parallelFor`: weight conversion, LoRA fusing, media
/// conversion). It starts at `OPENBLAS_NUM_THREADS` when that is set,
/// otherwise at the number of online cores. An engine that runs several heavy nodes at once
/// should lower it (`reelflow run --jobs N` sets it to cores / N) so the two levels do not
/// oversubscribe the machine.
public enum TensorThreads {
    // OpenBLAS runs on one thread for good (`BLAS.sgemm` sets it before the first product):
    // products are cut into bands that depend on their shape only and run on this pool, so
    // results do not depend on the thread count or on what runs beside them.
    private static let state = Mutex(State(count: startingCount(), singleThreadedSections: 0))

    private struct State {
        var count: Int
        /// How many callers are inside `withSingleThreadedProducts` right now.
        var singleThreadedSections: Int
    }

    /// Threads tensor ops may use; at least 1.
    public static var count: Int {
        get { state.withLock { $0.count } }
        set {
            let value = max(1, newValue)
            state.withLock { $0.count = value }
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

    /// Makes OpenBLAS use the kernels this CPU is best served by when its own choice is the
    /// slower one: generic kernels on a CPU it does not know, AVX-512 ones on AMD Zen 4 (see
    /// `BLAS.replaceSlowerCoreChoice`). Call it at process
    /// start, before any tensor op (the `reelflow` command does).
    /// - Returns: the kernel families before and after, or nil when OpenBLAS's choice stands.
    @discardableResult
    public static func repairBLASKernelChoice() -> (from: String, to: String)? {
        state.withLock { _ in BLAS.replaceSlowerCoreChoice() }
    }

    /// Fixes glibc's malloc thresholds so the large tensors a model step makes and drops reuse
    /// the process's memory instead of faulting in fresh pages each time (`HostAllocator`).
    /// Call it at process start, before any tensor op (the `reelflow` command does);
    /// `REELFLOW_MALLOC_TUNING=0`, or thresholds set in the environment, leave glibc as it is.
    /// - Returns: whether the thresholds were set.
    @discardableResult
    public static func tuneHostAllocator() -> Bool {
        state.withLock { _ in HostAllocator.tune() }
    }

    /// Stops OpenBLAS's idle worker threads, which it starts when the library loads and which
    /// then spin for about 0.1 s of CPU each before they sleep. OpenBLAS runs on one thread
    /// here, so once stopped they are not started again. Call it at process start (the
    /// `reelflow` command does), where it saves each worker's 0.1 s spin in processes that
    /// never touch BLAS, such as decoding a video. Does nothing with a BLAS that cannot do it.
    /// - Returns: whether the workers were stopped.
    /// - Precondition: no tensor op is running on any thread.
    @discardableResult
    public static func stopIdleBLASThreads() -> Bool {
        state.withLock { _ in BLAS.shutDownIdleThreads() }
    }

    /// Runs `body` with every matrix product on the calling thread, for ops that parallelise
    /// at their own level (attention over heads, convolution over bands) and multiply from
    /// every worker. Nested and concurrent sections are counted. Only where a product runs
    /// changes, never how it is cut, so results are the same inside and outside.
    static func withSingleThreadedProducts<R>(_ body: () throws -> R) rethrows -> R {
        state.withLock { $0.singleThreadedSections += 1 }
        defer { state.withLock { $0.singleThreadedSections -= 1 } }
        return try body()
    }

    /// The threads one product may use: `count`, or 1 while a single-threaded section is
    /// open, whose callers already run on every core. The bands of an OpenBLAS product are
    /// shared among them; oneDNN's OpenMP pool is asked for that many.
    static var threadsForOneCall: Int {
        state.withLock { $0.singleThreadedSections == 0 ? $0.count : 1 }
    }
}
