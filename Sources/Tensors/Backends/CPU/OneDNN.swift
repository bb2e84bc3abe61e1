import CDNNL
import Foundation
import Synchronization

/// bf16 matrix products through oneDNN, the library PyTorch's CPU bf16 ops run on.
///
/// OpenBLAS (Debian's build) has no bf16 GEMM, so without oneDNN a bf16 `linear` widens both
/// operands to float32 (the whole weight, on every call) and runs `sgemm`. oneDNN multiplies
/// the bf16 words in place with float32 accumulation: on CPUs with AVX512-BF16 or AMX it runs
/// their bf16 instructions, elsewhere it widens tile by tile. The result is rounded once to
/// bf16, as PyTorch's bf16 `linear` does.
///
/// oneDNN is opened at run time (`libdnnl.so.2`, the 2.x ABI of Debian 12's `libdnnl2`), so
/// nothing needs it to build or run: without it, or with `REELFLOW_ONEDNN=0`, the float32
/// OpenBLAS path runs. `REELFLOW_ONEDNN=/path/libdnnl.so.2` opens that file instead. A
/// planned product (its shapes, dtypes and strides) is kept for the process, like cuBLASLt's
/// plans on the GPU.
package enum OneDNN {
    /// Whether bf16 products go through oneDNN; tests switch it to compare both paths.
    package static var enabled: Bool {
        get { switchedOn.withLock { $0 } && opened.library != nil }
        set { switchedOn.withLock { $0 = newValue } }
    }

    /// "oneDNN 2.6.3", or why oneDNN is not in use.
    package static var summary: String {
        guard let library = opened.library else { return "oneDNN not in use: \(opened.failure)" }
        return "oneDNN \(library.version)" + (hasBF16Kernels ? "" : " (no bf16 kernels for this CPU: bf16 products stay on OpenBLAS)")
    }

    /// Whether oneDNN has fast bf16 kernels on this CPU. oneDNN 2.6 has them from AVX-512 on
    /// (AMX and AVX512-BF16 natively, plain AVX-512 by conversion); on an AVX2-only CPU it has
    /// none and every bf16 product keeps the OpenBLAS path.
    package static var hasBF16Kernels: Bool { bf16Probe }
    private static let bf16Probe: Bool =
        product(m: 16, k: 16, n: 16, a: .bf16(256, 16, 1), b: .bf16(256, 1, 16), c: .bf16(256, 16, 1), threads: 1) != nil

    private static let switchedOn = Mutex(ProcessInfo.processInfo.environment["REELFLOW_ONEDNN"] != "0")

    private struct Library: Sendable { let version: String }
    private static let opened: (library: Library?, failure: String) = {
        let setting = ProcessInfo.processInfo.environment["REELFLOW_ONEDNN"]
        if setting == "0" { return (nil, "REELFLOW_ONEDNN=0") }
        let path = setting.flatMap { $0.isEmpty || $0 == "1" ? nil : $0 }
        // Debian's oneDNN runs on OpenMP, whose workers otherwise spin between calls and
        // take the core from OpenBLAS's and the tensor pool's threads on a small machine.
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
        let status = path.map { rf_dnnl_open($0) } ?? rf_dnnl_open(nil)
        guard status == 0 else { return (nil, String(cString: rf_dnnl_message())) }
        return (Library(version: String(cString: rf_dnnl_version())), "")
    }()

    /// How one operand of a product lies in memory: its element type and its strides in
    /// elements (batch, row, column).
    package struct Layout: Hashable, Sendable {
        var type: Int32
        var strides: [Int64]

        /// bf16 or float32 elements at the given strides. oneDNN 2.6 runs its fast (brgemm)
        /// kernels only on dense operands, a batch stride of 0 included: give the matrix's
        /// size as the batch stride, and rows (or columns) exactly one row (column) apart.
        package static func bf16(_ batch: Int, _ row: Int, _ column: Int) -> Layout {
            Layout(type: Int32(RF_DNNL_BF16), strides: [Int64(batch), Int64(row), Int64(column)])
        }
        package static func f32(_ batch: Int, _ row: Int, _ column: Int) -> Layout {
            Layout(type: Int32(RF_DNNL_F32), strides: [Int64(batch), Int64(row), Int64(column)])
        }
    }

    /// A planned product `C = A · B (+ bias)`, `[m, k] · [k, n]`, kept for the process. Several
    /// threads may run it at once.
    package final class Product: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { rf_dnnl_plan_free(pointer) }
        var implementation: String { String(cString: rf_dnnl_plan_impl(pointer)) }
        /// Bytes of scratchpad a run needs.
        var scratchpadBytes: Int { rf_dnnl_plan_scratchpad_bytes(pointer) }
        /// Bytes of scratchpad the calling thread keeps between runs (tests).
        static var keptScratchpadBytes: Int { rf_dnnl_thread_scratchpad_bytes() }

        /// Runs it on `threads` threads and waits.
        package func run(
            _ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, bias: UnsafeRawPointer? = nil, into c: UnsafeMutableRawPointer?,
            threads: Int
        ) {
            // oneDNN's OpenMP team takes the cores: the pool's idle workers sleep meanwhile.
            let status =
                threads > 1
                ? WorkerPool.withWorkersAsleep { rf_dnnl_plan_run(pointer, a, b, bias, c, Int32(threads)) }
                : rf_dnnl_plan_run(pointer, a, b, bias, c, Int32(threads))
            require(status == 0, "\(OneDNN.summary): \(String(cString: rf_dnnl_message()))")
        }
    }

    private struct Key: Hashable {
        var m: Int, k: Int, n: Int, threads: Int
        var a: Layout, b: Layout, c: Layout
        var biasType: Int32
        var preferring: String?
    }

    /// Plans by shape; nil where oneDNN refused one (the caller's own path runs for it).
    private static let plans = Mutex<[Key: Product?]>([:])

    /// The implementation oneDNN chose for the calling thread's last product (e.g.
    /// `brg:avx512_core_amx_bf16`), for reports and tests.
    package static var lastImplementation: String { lastImpl.value }
    private static let lastImpl = PerThreadRecord()

    /// The plan for `[m, k] · [k, n]` with the operands laid out as given and an optional
    /// bias row (`biasType` 0 for none), to run on `threads` threads (oneDNN splits the work
    /// when it plans); nil when oneDNN is off or refuses the shape. `preferring` names the
    /// start of an implementation to take where oneDNN has one (`"gemm:jit"`); otherwise, or
    /// when it has none, oneDNN's first choice.
    package static func product(
        m: Int, k: Int, n: Int, a: Layout, b: Layout, c: Layout, biasType: Int32 = 0, threads: Int,
        preferring: String? = nil
    ) -> Product? {
        guard enabled else { return nil }
        return plans.withLock { plans in
            let key = Key(m: m, k: k, n: n, threads: threads, a: a, b: b, c: c, biasType: biasType, preferring: preferring)
            if let known = plans[key] {
                if let known { lastImpl.set(known.implementation) }
                return known
            }
            var made = rf_dnnl_matmul_plan(
                1, Int64(m), Int64(k), Int64(n), a.type, a.strides, b.type, b.strides, c.type, c.strides, biasType,
                Int32(threads), preferring
            ).map(Product.init)
            if let plan = made {
                lastImpl.set(plan.implementation)
                // oneDNN's reference kernels (element by element, 100x slower) are never
                // worth it: the caller's own path runs instead.
                if plan.implementation.hasPrefix("ref") { made = nil }
            }
            // A process sees a handful of shapes; the cap only bounds a pathological one.
            if plans.count >= 1024 { plans.removeAll() }
            plans[key] = made
            return made
        }
    }

    /// A bf16 `linear` with at least `gemmPreferredDepth` inputs and at most
    /// `gemmPreferredMaxOutputs` outputs, whose first choice is oneDNN 2.6's AMX brgemm, takes
    /// its `gemm:jit` kernel instead (float32 accumulation in another order, the bias and one
    /// rounding as before). Alone, 0.84-0.87x the brgemm's time at 1408 x 2048 x 2048, 0.75-0.82x
    /// at 1408 x 8192 x 2048 and 0.83-0.85x at 128 tokens; at 128-512 inputs (the tiny shape)
    /// the brgemm is 1.4-1.6x faster, and with more outputs (2048 x 8192, 2048 x 18432) the gain
    /// went within the step. The gemm kernel keeps its float32 result in its scratchpad (rows x
    /// outputs x 4 bytes, 11.5 MB at 1408 x 2048; a thread's is kept) and packs the weight into
    /// a buffer of its own per call. `REELFLOW_ONEDNN_GEMM=0`
    /// keeps oneDNN's first choice (docs/benchmarks.md, "oneDNN's gemm kernel for long bf16
    /// products").
    static let gemmPreferredDepth = 1024
    static let gemmPreferredMaxOutputs = 2048
    package static var prefersGemmKernel: Bool {
        get { gemmSwitch.withLock { $0 } }
        set { gemmSwitch.withLock { $0 = newValue } }
    }
    private static let gemmSwitch = Mutex(ProcessInfo.processInfo.environment["REELFLOW_ONEDNN_GEMM"] != "0")

    /// `x · weightᵀ (+ bias)` for a bf16 `x` `[..., in]` and a bf16 `weight` `[out, in]`,
    /// rounded to bf16; nil when oneDNN is off or cannot take the operands (the caller then
    /// runs its float32 path).
    package static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor? {
        guard x.dtype == .bf16, weight.dtype == .bf16, enabled, x.rank >= 1, weight.rank == 2 else { return nil }
        let k = x.shape[x.rank - 1], n = weight.shape[0]
        let m = x.shape.dropLast().reduce(1, *)
        guard weight.shape[1] == k, m > 0, n > 0, k > 0 else { return nil }
        if let bias { require(bias.shape == [n], "linear bias must be [\(n)], got \(bias.shape)") }
        // The bias is added in float32 before the one rounding; a bf16 bias is read as is.
        let bias = bias.map { $0.dtype == .bf16 || $0.dtype == .f32 ? $0 : $0.cpuConverted(to: .f32) }
        let biasType = bias.map { $0.dtype == .bf16 ? Int32(RF_DNNL_BF16) : Int32(RF_DNNL_F32) } ?? 0
        // x [m, k] row-major; the weight [n, k] row-major read as its transpose [k, n]; the
        // output [m, n] row-major.
        let threads = TensorThreads.threadsForOneCall
        func planned(preferring: String?) -> Product? {
            product(
                m: m, k: k, n: n, a: .bf16(m * k, k, 1), b: .bf16(n * k, 1, k), c: .bf16(m * n, n, 1),
                biasType: biasType, threads: threads, preferring: preferring)
        }
        guard var plan = planned(preferring: nil) else { return nil }
        // Column blocks of the output: one, or for long products with more outputs than the
        // gemm kernel's rule takes, blocks of at most that many (the weight's rows, the bias
        // and the output's columns split alike), each a gemm product writing its columns.
        var block = n
        if prefersGemmKernel, k >= gemmPreferredDepth, plan.implementation.hasPrefix("brg:avx512_core_amx") {
            if n <= gemmPreferredMaxOutputs, let gemm = planned(preferring: "gemm:jit") {
                plan = gemm
            } else if n > gemmPreferredMaxOutputs, n % gemmPreferredMaxOutputs == 0,
                let gemm = product(
                    m: m, k: k, n: gemmPreferredMaxOutputs, a: .bf16(m * k, k, 1),
                    b: .bf16(gemmPreferredMaxOutputs * k, 1, k), c: .bf16(m * n, n, 1), biasType: biasType,
                    threads: threads, preferring: "gemm:jit"),
                gemm.implementation.hasPrefix("gemm:jit")
            {
                (plan, block) = (gemm, gemmPreferredMaxOutputs)
            }
        }
        let biasElement = bias?.dtype == .bf16 ? 2 : 4
        let words = [UInt16](unsafeUninitializedCapacity: m * n) { out, count in
            x.withUnsafeHostBytes { a in
                weight.withUnsafeHostBytes { b in
                    withBiasBytes(bias) { biasBytes in
                        for first in Swift.stride(from: 0, to: n, by: block) {
                            plan.run(
                                a.baseAddress, b.baseAddress! + first * k * 2, bias: biasBytes.map { $0 + first * biasElement },
                                into: out.baseAddress! + first, threads: threads)
                        }
                    }
                }
            }
            count = m * n
        }
        var shape = x.shape
        shape[x.rank - 1] = n
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    private static func withBiasBytes<R>(_ bias: Tensor?, _ body: (UnsafeRawPointer?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.withUnsafeHostBytes { body($0.baseAddress) }
    }
}
