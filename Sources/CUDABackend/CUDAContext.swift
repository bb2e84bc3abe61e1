import CCUDA
import CUDARuntime
import Synchronization
import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// One GPU as the backend uses it: its primary context, one stream that every op is queued
/// on, the driver's stream-ordered memory pool (freed blocks stay cached in the pool for the
/// next allocation), the compiled kernel module and a cuBLASLt handle with its workspace.
///
/// Ops cannot fail halfway on the seam, so a CUDA error inside one (a launch, an allocation
/// the GPU has no room for) stops the process with the call and the driver's message; setting
/// the backend up is where errors are thrown and reported.
final class CUDAContext: @unchecked Sendable {
    let device: Device
    let gpu: CUDAProbe.GPU
    let driver: CUDADriver
    let context: CUcontext
    let stream: CUstream
    let module: CUmodule
    let functions: [String: CUfunction]
    let blas: CUBLASLt
    let blasHandle: cublasLtHandle_t
    let workspace: CUdeviceptr
    let workspaceBytes = 32 << 20
    /// Whether NVRTC compiled the kernels in this process (false: they came from the cache).
    let compiledNow: Bool

    init(ordinal: Int, kernelCache: KernelCache) throws {
        let driver = try CUDADriver.shared.get()
        self.driver = driver
        let gpus = try CUDAProbe.gpus()
        guard ordinal < gpus.count else {
            throw CUDAError("no GPU cuda:\(ordinal): the driver reports \(gpus.count) GPU(s)")
        }
        gpu = gpus[ordinal]
        device = .cuda(ordinal)
        var handle: CUdevice = 0
        try driver.check(driver.cuDeviceGet(&handle, Int32(ordinal)), "cuDeviceGet")
        var ctx: CUcontext?
        try driver.check(driver.cuDevicePrimaryCtxRetain(&ctx, handle), "cuDevicePrimaryCtxRetain")
        guard let ctx else { throw CUDAError("cuDevicePrimaryCtxRetain returned no context") }
        context = ctx
        try driver.check(driver.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
        var s: CUstream?
        try driver.check(driver.cuStreamCreate(&s, UInt32(REELFLOW_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
        guard let s else { throw CUDAError("cuStreamCreate returned no stream") }
        stream = s
        // Keep freed memory in the pool instead of returning it at each synchronisation.
        var pool: CUmemoryPool?
        try driver.check(driver.cuDeviceGetDefaultMemPool(&pool, handle), "cuDeviceGetDefaultMemPool")
        var threshold = UInt64.max
        try driver.check(
            driver.cuMemPoolSetAttribute(pool, Int32(REELFLOW_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD), &threshold),
            "cuMemPoolSetAttribute")
        self.pool = pool

        let nvrtc = try NVRTC.shared.get()
        let key = KernelCache.Key(
            source: KernelSources.all, name: "reelflow_kernels.cu", architecture: gpu.architecture,
            compilerVersion: nvrtc.version())
        let (cubin, cached) = try kernelCache.cubin(for: key) {
            try nvrtc.compile($0.source, name: $0.name, architecture: $0.architecture, options: $0.options)
        }
        compiledNow = !cached
        var m: CUmodule?
        try cubin.withUnsafeBytes { try driver.check(driver.cuModuleLoadData(&m, $0.baseAddress), "cuModuleLoadData") }
        guard let m else { throw CUDAError("cuModuleLoadData returned no module") }
        module = m
        var table: [String: CUfunction] = [:]
        for name in KernelSources.kernelNames {
            var f: CUfunction?
            try driver.check(driver.cuModuleGetFunction(&f, m, name), "cuModuleGetFunction(\(name))")
            table[name] = f
        }
        for (name, bytes) in KernelSources.dynamicSharedBytes {
            try driver.check(
                driver.cuFuncSetAttribute(table[name], Int32(REELFLOW_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES), Int32(bytes)),
                "cuFuncSetAttribute(\(name), dynamic shared memory \(bytes) bytes)")
        }
        functions = table

        blas = try CUBLASLt.shared.get()
        blasHandle = try blas.makeHandle()
        var w: CUdeviceptr = 0
        try driver.check(driver.cuMemAllocAsync(&w, workspaceBytes, s), "cuMemAllocAsync (cuBLASLt workspace)")
        workspace = w

        // cuDNN is optional (the convolutions fall back to im2col); REELFLOW_CUDNN=0 turns it off.
        convolutionChannelsLast = Self.environment("REELFLOW_CUDNN_LAYOUT") != "ncdhw"
        convolutionSearch = Self.environment("REELFLOW_CUDNN_SEARCH") == "measured" ? .measured : .heuristic
        convolutionReport = Self.environment("REELFLOW_CUDNN_REPORT") == "1"
        if Self.environment("REELFLOW_CUDNN") == "0" {
            dnn = nil
            dnnStatus = "cuDNN off (REELFLOW_CUDNN=0)"
        } else {
            do {
                let library = try CUDNN.shared.get()
                dnn = (library, try library.makeHandle(stream: s))
                dnnStatus = "cuDNN \(library.version) (\(library.path))"
            } catch {
                dnn = nil
                dnnStatus = "no cuDNN (\(error)); convolutions use im2col"
            }
        }
    }

    /// cuDNN and its handle on the stream, or nil (`dnnStatus` says why).
    let dnn: (library: CUDNN, handle: cudnnHandle_t)?
    let dnnStatus: String
    /// Each convolution shape's cuDNN plan, or nil where cuDNN has none (im2col runs).
    private let convolutionPlans = Mutex<[CUDNN.Convolution: CUDNN.Plan?]>([:])
    /// The most workspace a cuDNN algorithm may ask for.
    let maxConvolutionWorkspace = 1 << 30
    /// cuDNN convolutions in channels-last layout (the default; REELFLOW_CUDNN_LAYOUT=ncdhw runs
    /// them channels-first, 6x slower for the VAE decode on an H100 under cuDNN 9.19), algorithms
    /// chosen by measurement (REELFLOW_CUDNN_SEARCH=measured), each new plan's ranking printed
    /// (REELFLOW_CUDNN_REPORT=1).
    let convolutionChannelsLast: Bool
    let convolutionSearch: CUDNN.Search
    let convolutionReport: Bool
    /// `CUDABackend.flashRowsPerBlock`.
    let flashRows = Atomic<Int>(CUDAContext.environment("REELFLOW_FLASH_ROWS") == "128" ? 128 : 64)

    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    let pool: CUmemoryPool?

    /// Per-op timing (`CUDABackend.profile`): while on, every launch, GEMM and copy waits for
    /// the GPU and adds its wall time under its name, so the table says where a forward's time
    /// goes (the waiting itself costs a little per op).
    let profiling = Atomic<Bool>(false)
    let profileTable = Mutex<[String: (count: Int, seconds: Double)]>([:])

    /// Runs `body` (queued work), then, when profiling, waits and records it under `name`.
    func timed<R>(_ name: @autoclosure () -> String, _ body: () -> R) -> R {
        guard profiling.load(ordering: .relaxed) else { return body() }
        let start = ContinuousClock.now
        let result = body()
        must(driver.cuStreamSynchronize(stream), "cuStreamSynchronize")
        let seconds = (ContinuousClock.now - start).inSeconds
        let key = name()
        let high = peakBytes()
        profileTable.withLock { table in
            let old = table[key] ?? (0, 0)
            table[key] = (old.count + 1, old.seconds + seconds)
        }
        profilePeak.withLock { peak in
            peak.ops += 1
            if high > peak.bytes { peak = (high, key, peak.ops, peak.ops) }
        }
        return result
    }

    /// While profiling: the pool's high-water mark, the op during which it was last raised
    /// and that op's index among the ops timed (where in a forward the memory peaks).
    let profilePeak = Mutex<(bytes: Int, op: String, index: Int, ops: Int)>((0, "", 0, 0))

    /// Makes this GPU's context current on the calling thread (the driver keeps one per thread).
    func makeCurrent() { must(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent") }

    /// Stops with the call and the driver's message unless `result` is CUDA_SUCCESS.
    func must(_ result: CUresult, _ call: @autoclosure () -> String) {
        guard result != 0 else { return }
        // fatalError, not preconditionFailure: a release build prints this message (an out-of-memory
        // GPU, a failed launch) where a precondition would stop silently.
        do { try driver.check(result, call()) } catch { fatalError("\(device): \(error)") }
    }

    // MARK: Memory

    func allocate(_ bytes: Int) -> CUdeviceptr {
        guard bytes > 0 else { return 0 }
        makeCurrent()
        var p: CUdeviceptr = 0
        must(driver.cuMemAllocAsync(&p, bytes, stream), "cuMemAllocAsync(\(bytes) bytes)")
        return p
    }

    func free(_ pointer: CUdeviceptr) {
        guard pointer != 0 else { return }
        makeCurrent()
        must(driver.cuMemFreeAsync(pointer, stream), "cuMemFreeAsync")
    }

    /// Queues a copy of host bytes to the device; `bytes` may be freed when this returns. A
    /// megabyte or more goes through the page-locked staging buffers (`PinnedStaging`), less
    /// straight from pageable memory (the driver stages it before it returns).
    func upload(_ bytes: UnsafeRawBufferPointer, to pointer: CUdeviceptr) {
        guard bytes.count > 0 else { return }
        makeCurrent()
        timed("copy host to device") {
            let staged = bytes.count >= 1 << 20 && staging.withLock { staging -> Bool in
                if !staging.tried { staging = (try? PinnedStaging(driver: driver), true) }
                guard let staging = staging.buffers else { return false }
                do { try staging.upload(bytes, to: pointer, stream: stream) } catch { fatalError("\(device): \(error)") }
                return true
            }
            if !staged {
                must(driver.cuMemcpyHtoDAsync(pointer, bytes.baseAddress, bytes.count, stream), "cuMemcpyHtoDAsync")
            }
        }
    }

    /// Made on the first large upload; if that fails, every upload copies from pageable memory.
    private let staging = Mutex<(buffers: PinnedStaging?, tried: Bool)>((nil, false))

    /// Copies device bytes to the host after everything queued before: a synchronisation point.
    func download(_ pointer: CUdeviceptr, into bytes: UnsafeMutableRawBufferPointer) {
        guard bytes.count > 0 else { return }
        makeCurrent()
        timed("copy device to host") {
            must(driver.cuMemcpyDtoHAsync(bytes.baseAddress, pointer, bytes.count, stream), "cuMemcpyDtoHAsync")
            synchronize()
        }
    }

    func copy(_ source: CUdeviceptr, to destination: CUdeviceptr, bytes: Int) {
        guard bytes > 0 else { return }
        makeCurrent()
        must(driver.cuMemcpyDtoDAsync(destination, source, bytes, stream), "cuMemcpyDtoDAsync")
    }

    func synchronize() {
        makeCurrent()
        must(driver.cuStreamSynchronize(stream), "cuStreamSynchronize")
    }

    /// The pool's high-water mark of bytes in use since the process started.
    func peakBytes() -> Int {
        var value: UInt64 = 0
        must(driver.cuMemPoolGetAttribute(pool, Int32(REELFLOW_CU_MEMPOOL_ATTR_USED_MEM_HIGH), &value), "cuMemPoolGetAttribute")
        return Int(value)
    }

    /// Restarts the high-water mark from the bytes in use now.
    func resetPeak() {
        var zero: UInt64 = 0
        must(driver.cuMemPoolSetAttribute(pool, Int32(REELFLOW_CU_MEMPOOL_ATTR_USED_MEM_HIGH), &zero), "cuMemPoolSetAttribute")
    }

    // MARK: Kernels

    /// Queues kernel `name` on the stream, with `sharedBytes` of dynamic shared memory (at most
    /// what `KernelSources.dynamicSharedBytes` allows it).
    func launch(_ name: String, grid: (Int, Int, Int), block: Int, sharedBytes: Int = 0, _ arguments: [KernelArgument]) {
        guard grid.0 > 0 && grid.1 > 0 && grid.2 > 0 else { return }
        guard let function = functions[name] else { fatalError("no CUDA kernel \(name)") }
        makeCurrent()
        let storage = arguments.map { $0.bytes() }
        let buffers = storage.map { bytes -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 8), alignment: 16)
            bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return p
        }
        defer { buffers.forEach { $0.deallocate() } }
        var parameters: [UnsafeMutableRawPointer?] = buffers
        timed(name) {
            must(
                driver.cuLaunchKernel(
                    function, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2), UInt32(block), 1, 1, UInt32(sharedBytes), stream, &parameters,
                    nil),
                "cuLaunchKernel(\(name), grid \(grid), block \(block))")
        }
    }

    /// A 1D grid-stride launch over `n` items.
    func launch(_ name: String, items n: Int, block: Int = 256, _ arguments: [KernelArgument]) {
        let blocks = min((n + block - 1) / block, gpu.multiprocessors * 32)
        launch(name, grid: (blocks, 1, 1), block: block, arguments)
    }

    /// The cuDNN plan of `c` (made on first use and kept), or nil where there is none.
    func convolutionPlan(_ c: CUDNN.Convolution) -> CUDNN.Plan? {
        guard let dnn else { return nil }
        if let known = convolutionPlans.withLock({ $0[c] }) { return known }
        makeCurrent()
        let report: (([CUDNN.Candidate]) -> Void)? = convolutionReport ? { ranked in
            print("cuDNN \(c.input) * \(c.weight) pad \(c.padding) stride \(c.stride) \(c.type)\(c.channelsLast ? " NDHWC" : ""):")
            for r in ranked {
                print("  algorithm \(r.algorithm) status \(r.status) \(r.milliseconds) ms workspace \(r.workspace >> 20) MiB")
            }
        } : nil
        let plan: CUDNN.Plan?
        do {
            plan = try dnn.library.plan(c, handle: dnn.handle, maxWorkspace: maxConvolutionWorkspace, search: convolutionSearch, ranked: report)
        } catch {
            if convolutionReport { print("cuDNN: \(error)") }
            plan = nil
        }
        convolutionPlans.withLock { $0[c] = .some(plan) }
        return plan
    }

    /// Runs a planned cuDNN convolution on the stream.
    func convolve(_ plan: CUDNN.Plan, x: CUdeviceptr, w: CUdeviceptr, y: CUdeviceptr, workspace: CUdeviceptr) {
        guard let dnn else { fatalError("\(device): a cuDNN plan without cuDNN") }
        makeCurrent()
        timed("cuDNN convolution") {
            do { try dnn.library.run(plan, handle: dnn.handle, x: x, w: w, y: y, workspace: workspace) } catch {
                fatalError("\(device): \(error)")
            }
        }
    }

    /// Runs a row-major GEMM on the stream (`CUBLASLt.GEMM`).
    func gemm(_ g: CUBLASLt.GEMM) {
        makeCurrent()
        timed("cuBLASLt \(g.type) GEMM") {
            do {
                try blas.run(g, handle: blasHandle, workspace: workspace, workspaceBytes: workspaceBytes, stream: stream)
            } catch {
                fatalError("\(device): \(error)")
            }
        }
    }
}

/// One kernel parameter, passed by value as the kernel declares it.
enum KernelArgument {
    case pointer(CUdeviceptr)
    case int64(Int)
    case int32(Int32)
    case float(Float)
    /// A struct of 64-bit fields (`Geometry`, `AttentionArgs`, `ConvArgs`), in field order.
    case words([Int64])

    func bytes() -> [UInt8] {
        switch self {
        case .pointer(let p): return withUnsafeBytes(of: p) { Array($0) }
        case .int64(let v): return withUnsafeBytes(of: Int64(v)) { Array($0) }
        case .int32(let v): return withUnsafeBytes(of: v) { Array($0) }
        case .float(let v): return withUnsafeBytes(of: v) { Array($0) }
        case .words(let w): return w.withUnsafeBytes { Array($0) }
        }
    }
}

extension Duration {
    /// Seconds as a Double (the profile's timings).
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
