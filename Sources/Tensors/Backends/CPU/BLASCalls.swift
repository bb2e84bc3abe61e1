internal import CKernels
internal import COpenBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place where Tensors calls OpenBLAS. Everything above this file sees Swift types
/// only; the pointers handed in here come from `Tensor` storage the caller has borrowed.
enum BLAS {
    /// Whether an operand is read as stored or transposed.
    enum Transpose {
        case none, transposed

        fileprivate var cValue: CBLAS_TRANSPOSE {
            switch self {
            case .none: CblasNoTrans
            case .transposed: CblasTrans
            }
        }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where op(A) is m x k and
    /// op(B) is k x n. `lda`, `ldb`, `ldc` are the row strides of the stored matrices, so a
    /// head of a `[T, H * d]` tensor can be used in place with `ld = H * d`.
    /// Sizes of zero are allowed and do nothing (OpenBLAS would still scale C by beta).
    ///
    /// `cutIntoBands: false` runs it as one OpenBLAS call on the calling thread: for callers
    /// that parallelise at their own level with shape-only work items (attention's tiles,
    /// convolution's bands), which a further cut would only slow (each band packs its
    /// operands again). Either way the result depends on the call site and shape only.
    ///
    /// The corresponding C function is `cblas_sgemm`.
    static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        cutIntoBands: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // op(A) * op(B) is the zero matrix: C = beta * C.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        // OpenBLAS always runs on one thread; a product big enough is cut into bands of C
        // that the `TensorThreads` pool runs. The bands depend on the shape only, so every
        // element's arithmetic (which OpenBLAS kernel, which edge case) is the same whatever
        // the thread count or whatever runs beside it: OpenBLAS's own threading gives
        // different bits at 1 and 2 threads for some shapes under some kernel families.
        _ = pinnedToOneThread
        let bands = cutIntoBands ? bandCount(m: m, n: n, k: k) : 1
        guard bands > 1 else {
            call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // Read only here: attention's tiles call this thousands of times a forward, uncut.
        let workers = TensorThreads.threadsForOneCall
        let byRows = m >= n
        let extent = byRows ? m : n
        let (pa, pb, pc) = (Int(bitPattern: a), Int(bitPattern: b), Int(bitPattern: c))
        parallelForEach(bands, workers: workers) { band, _ in
            let a = UnsafePointer<Float>(bitPattern: pa)!, b = UnsafePointer<Float>(bitPattern: pb)!
            let c = UnsafeMutablePointer<Float>(bitPattern: pc)!
            let lower = extent * band / bands, count = extent * (band + 1) / bands - lower
            if byRows {
                let aOff = transA == .none ? lower * lda : lower
                call(transA, transB, count, n, k, alpha, a + aOff, lda, b, ldb, beta, c + lower * ldc, ldc)
            } else {
                let bOff = transB == .none ? lower : lower * ldb
                call(transA, transB, m, count, k, alpha, a, lda, b + bOff, ldb, beta, c + lower, ldc)
            }
        }
    }

    /// How many bands of C a product is cut into, from its shape alone: along the longer of
    /// C's two axes (so the operand packed again in every band is the smaller one), at most
    /// `maxBands`, at least 64 rows or columns and 2^20 multiply-adds each, and an even
    /// number so two or four threads share them evenly.
    static func bandCount(m: Int, n: Int, k: Int) -> Int {
        let bands = min(maxBands, max(m, n) / 64, (m * n * k) >> 20)
        return bands <= 1 ? 1 : bands & ~1
    }

    /// Four, not more: every band packs the other operand again, and on the small
    /// transformer's linears (1408 x 2048 x 2048/8192, 1408 x 8192 x 2048) 8 bands took
    /// 1.04-1.09x the time of 4 on two cores, the f32 step 1.02-1.05x and the tiny forward
    /// 1.05x (docs/benchmarks.md, "Four bands per product"). Four keep a four-core machine busy.
    static let maxBands = 4

    /// Sets OpenBLAS to one thread, once, before the first product (Swift runs a static
    /// initialiser once, thread-safely; later reads cost an atomic check).
    private static let pinnedToOneThread: Bool = {
        setThreadCount(1)
        return true
    }()

    private static func call(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA.cValue, transB.cValue,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// Sets how many threads OpenBLAS uses for one call.
    ///
    /// The corresponding C function is `openblas_set_num_threads`.
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// How many threads OpenBLAS currently uses for one call.
    ///
    /// The corresponding C function is `openblas_get_num_threads`.
    static func threadCount() -> Int {
        Int(openblas_get_num_threads())
    }

    /// The name of the kernel family OpenBLAS chose at load time (for example `Haswell` or
    /// `SkylakeX`); `OPENBLAS_CORETYPE` overrides the choice.
    ///
    /// The corresponding C function is `openblas_get_corename`.
    static func coreName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Ends OpenBLAS's worker threads if this OpenBLAS can (its pthreads build exports
    /// `blas_thread_shutdown_`); the next call that wants several threads starts them again.
    /// Returns whether it did.
    ///
    /// OpenBLAS starts its workers when the library loads, and each one then spins on
    /// `sched_yield` for about 2^28 cycles before it sleeps: about 0.11 s of CPU per worker
    /// in every process that links OpenBLAS, whether or not it ever multiplies a matrix
    /// (measured with a C program: 0.114 s of CPU after 0.3 s idle, 0.004 s after this call;
    /// an sgemm afterwards ran on 2 threads with the right result).
    ///
    /// The function is looked up at run time, so BLAS builds without it (OpenMP builds,
    /// other vendors) still link; there this does nothing.
    /// - Precondition: no BLAS call is running on any thread.
    static func shutDownIdleThreads() -> Bool {
        #if os(Linux)
            let everyLoadedLibrary: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT on glibc
        #else
            let everyLoadedLibrary = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT on Darwin
        #endif
        guard let symbol = dlsym(everyLoadedLibrary, "blas_thread_shutdown_") else { return false }
        unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)()
        return true
    }

    /// Replaces OpenBLAS's kernel choice where it is measurably the slower one, only when
    /// `OPENBLAS_CORETYPE` is unset (a set value is the user's choice):
    /// - a generic fallback on a CPU it did not recognise: OpenBLAS 0.3.21 (Debian 12) picks its
    ///   SSE3 "Prescott" kernels on newer Intel Xeons (family 6, model 207, with AVX-512), which
    ///   multiply 3-6x slower than its AVX-512 "SkylakeX" ones there. A CPU with AVX-512 gets
    ///   SkylakeX, one with AVX2 and FMA Haswell, where OpenBLAS chose an older family;
    /// - its AVX-512 "Cooperlake"/"SkylakeX" kernels on AMD Zen 4 (family 0x19 with AVX-512),
    ///   whose 512-bit instructions run as two 256-bit halves: its AVX2 "Zen" kernels multiply
    ///   the transformer's float32 products at 218-220 GFLOP/s there against 202, and a small
    ///   float32 step takes 0.92-0.97x the time (docs/benchmarks.md, "OpenBLAS's kernels on
    ///   AMD Zen 4"). Zen 5 (0x1A, full 512-bit units) keeps OpenBLAS's choice.
    /// Reloads the kernel table through `gotoblas_dynamic_quit`/`gotoblas_dynamic_init`
    /// (DYNAMIC_ARCH builds export them; they are looked up at run time) with
    /// `OPENBLAS_CORETYPE` set, as if the user had set it.
    /// - Returns: the families before and after, or nil when nothing changed.
    /// - Precondition: no BLAS call has run or is running.
    static func replaceSlowerCoreChoice() -> (from: String, to: String)? {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return nil }
        let level = reelflow_cpu_vector_level()
        let chosenName = coreName()
        let chosen = chosenName.lowercased()
        let avx512 = ["skylakex", "cooperlake", "sapphirerapids"]
        let avx2 = avx512 + ["haswell", "zen"]
        let target: String
        switch level {
        case 2 where reelflow_cpu_amd_family() == 0x19 && avx512.contains(chosen): target = "Zen"
        case 2 where !avx512.contains(chosen) && !chosen.hasPrefix("zen"): target = "SkylakeX"
        case 1 where !avx2.contains(chosen): target = "Haswell"
        default: return nil
        }
        #if os(Linux)
            let everyLoadedLibrary: UnsafeMutableRawPointer? = nil
        #else
            let everyLoadedLibrary = UnsafeMutableRawPointer(bitPattern: -2)
        #endif
        guard let quit = dlsym(everyLoadedLibrary, "gotoblas_dynamic_quit"),
              let initialise = dlsym(everyLoadedLibrary, "gotoblas_dynamic_init") else { return nil }
        setenv("OPENBLAS_CORETYPE", target, 1)
        unsafeBitCast(quit, to: (@convention(c) () -> Void).self)()
        unsafeBitCast(initialise, to: (@convention(c) () -> Void).self)()
        let now = coreName()
        return now.lowercased() == chosen ? nil : (chosenName, now)
    }
}
