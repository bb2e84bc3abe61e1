import CCUDA
import CUDARuntime
import Synchronization
import Tensors

/// The CUDA backend: tensors in GPU memory, ops queued on one stream per GPU as NVRTC-compiled
/// kernels (`Kernels/`) and cuBLASLt GEMMs. Nothing above `Tensors`' seam sees a CUDA type;
/// model code runs unchanged with `--device cuda`.
///
/// Contract (the seam's): operands of any tensor dtype are loaded as float32, computed in
/// float32 and stored once in the result dtype (`DType.result(of:)`); the fused AdaLN family,
/// PixelNorm and RoPE round between steps in bf16 as the CPU backend does. GEMMs keep bf16 or
/// float16 operands as they are (float32 accumulation); mixed dtypes compute in float32.
/// Work is asynchronous: only `transfer` to the CPU (and so `hostScalars()`) waits.
public final class CUDABackend: Backend, @unchecked Sendable {
    public let name = "cuda"
    public var device: Device { context.device }
    let context: CUDAContext

    /// Sets up GPU `ordinal`: context, stream, memory pool, the kernels (compiled by NVRTC
    /// or taken from `kernelCache`) and cuBLASLt.
    /// - Throws: `CUDAError` saying which library, GPU or call failed.
    public init(ordinal: Int = 0, kernelCache: KernelCache = KernelCache(root: KernelCache.defaultRoot())) throws {
        context = try CUDAContext(ordinal: ordinal, kernelCache: kernelCache)
    }

    private static let registered = Mutex<[Int: CUDABackend]>([:])

    /// The backend for `device` (`.cuda(n)`), set up once per process and registered with
    /// `BackendRegistry`, so tensors moved there run their ops on it.
    public static func activate(_ device: Device) throws -> CUDABackend {
        guard case .cuda(let n) = device else { throw CUDAError("\(device) is not a CUDA device") }
        if let b = registered.withLock({ $0[n] }) { return b }
        let backend = try CUDABackend(ordinal: n)
        registered.withLock { $0[n] = backend }
        BackendRegistry.register(backend)
        return backend
    }

    /// The GPU's name, architecture, whether its kernels were compiled in this process, and
    /// whether cuDNN runs the convolutions.
    public var summary: String {
        "\(device) \(context.gpu.name) sm_\(context.gpu.architecture), kernels "
            + (context.compiledNow ? "compiled by NVRTC" : "from the kernel cache") + ", " + context.dnnStatus
    }

    /// Waits for every queued op.
    public func synchronize() { context.synchronize() }

    /// Runs `body` with per-op timing on and returns its result with a table of where the
    /// time went: each kernel, GEMM and copy waited for and timed (names, calls, total ms,
    /// share), and the time between them (host work: Swift, table building, launching).
    public func profile<R>(_ body: () throws -> R) rethrows -> (R, String) {
        synchronize()
        context.profileTable.withLock { $0 = [:] }
        context.resetPeak()
        context.profilePeak.withLock { $0 = (context.peakBytes(), "(before the first op)", 0, 0) }
        context.profiling.store(true, ordering: .relaxed)
        let start = ContinuousClock.now
        let result = try body()
        synchronize()
        context.profiling.store(false, ordering: .relaxed)
        let total = (ContinuousClock.now - start).inSeconds
        let rows = context.profileTable.withLock { $0 }.sorted { $0.value.seconds > $1.value.seconds }
        let inOps = rows.reduce(0) { $0 + $1.value.seconds }
        var lines = ["op                                       calls         ms   share"]
        for (name, v) in rows {
            lines.append(pad(name, 40) + " " + pad(String(v.count), 6, left: true) + " " + pad(format(v.seconds * 1e3), 10, left: true)
                + " " + pad(format(100 * v.seconds / total) + "%", 7, left: true))
        }
        lines.append(pad("(between ops: host work)", 40) + " " + pad("", 6) + " " + pad(format((total - inOps) * 1e3), 10, left: true)
            + " " + pad(format(100 * (total - inOps) / total) + "%", 7, left: true))
        lines.append(pad("total", 40) + " " + pad("", 6) + " " + pad(format(total * 1e3), 10, left: true))
        let peak = context.profilePeak.withLock { $0 }
        lines.append("peak memory \(peak.bytes >> 20) MiB, reached during op \(peak.index) of \(peak.ops) (\(peak.op))")
        return (result, lines.joined(separator: "\n"))
    }

    /// Query rows per block of the tensor-core attention kernel: 64 (4 warps) or 128 (8 warps
    /// sharing each K and V tile). From REELFLOW_FLASH_ROWS, 64 by default; the op benchmark
    /// times both.
    public var flashRowsPerBlock: Int {
        get { context.flashRows.load(ordering: .relaxed) }
        set { context.flashRows.store(newValue == 128 ? 128 : 64, ordering: .relaxed) }
    }

    /// The device memory pool's high-water mark in bytes.
    public var peakMemoryBytes: Int { context.peakBytes() }

    /// Waits for queued work, then restarts `peakMemoryBytes` from the bytes in use now
    /// (torch's `reset_peak_memory_stats`).
    public func resetPeakMemory() {
        synchronize()
        context.resetPeak()
    }

    // MARK: Helpers

    /// A new, uninitialised tensor on this GPU.
    func empty(_ shape: [Int], _ dtype: DType) -> Tensor {
        let bytes = shape.reduce(1, *) * dtype.byteSize
        return Tensor(shape: shape, dtype: dtype, storage: CUDAStorage(bytes: bytes, context: context))
    }

    func pointer(_ t: Tensor) -> CUdeviceptr {
        guard let s = t.storage as? CUDAStorage else { fatalError("a \(t.device) tensor given to the CUDA backend") }
        return s.pointer
    }

    func pointer(_ t: Tensor?) -> CUdeviceptr { t.map { pointer($0) } ?? 0 }

    // MARK: Memory

    public func transfer(_ tensor: Tensor, to device: Device) -> Tensor {
        if tensor.device == device { return tensor }
        if device == self.device {
            require(tensor.device == .cpu, "the CUDA backend moves tensors from the CPU, not \(tensor.device)")
            let out = empty(tensor.shape, tensor.dtype)
            tensor.withUnsafeHostBytes { bytes in
                if bytes.count <= 256 {
                    // Small: passed as a kernel parameter, so the stream need not wait.
                    var words = [Int64](repeating: 0, count: 32)
                    words.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
                    context.launch("rf_put", items: bytes.count, [.pointer(pointer(out)), .words(words), .int64(bytes.count)])
                } else {
                    context.upload(bytes, to: pointer(out))
                }
            }
            return out
        }
        require(device == .cpu && tensor.device == self.device, "the CUDA backend cannot move \(tensor.device) to \(device)")
        let bytes = tensor.count * tensor.dtype.byteSize
        let src = pointer(tensor)
        let storage: HostStorage
        switch tensor.dtype.byteSize {
        case 4:
            storage = HostStorage(floats: [Float](unsafeUninitializedCapacity: tensor.count) { b, n in
                context.download(src, into: UnsafeMutableRawBufferPointer(b)); n = tensor.count
            })
        case 2:
            storage = HostStorage(words: [UInt16](unsafeUninitializedCapacity: tensor.count) { b, n in
                context.download(src, into: UnsafeMutableRawBufferPointer(b)); n = tensor.count
            })
        default:
            storage = HostStorage(bytes: [UInt8](unsafeUninitializedCapacity: bytes) { b, n in
                context.download(src, into: UnsafeMutableRawBufferPointer(b)); n = bytes
            })
        }
        return Tensor(shape: tensor.shape, dtype: tensor.dtype, storage: storage)
    }

    public func convert(_ tensor: Tensor, to dtype: DType) -> Tensor {
        guard dtype.isComputeType else {
            // fp8 is storage for weights: narrowing to it is rare and happens on the host.
            return transfer(transfer(tensor, to: .cpu).to(dtype: dtype), to: device)
        }
        let out = empty(tensor.shape, dtype)
        context.launch(
            "rf_convert", items: tensor.count,
            [.pointer(pointer(out)), .pointer(pointer(tensor)), .int64(tensor.count), .int32(tensor.dtype.code), .int32(dtype.code)])
        return out
    }

    /// `t` in `dtype` (itself when it already is).
    func converted(_ t: Tensor, _ dtype: DType) -> Tensor { t.dtype == dtype ? t : convert(t, to: dtype) }
}

/// `s` padded with spaces to `width` (on the left with `left`).
private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return left ? fill + s : s + fill
}

/// One decimal.
private func format(_ v: Double) -> String {
    let tenths = (v * 10).rounded()
    return "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
}

extension DType {
    /// The element code the kernels use (common.cuh).
    var code: Int32 {
        switch self {
        case .f32: 0
        case .bf16: 1
        case .f16: 2
        case .f8e4m3: 3
        case .f8e5m2: 4
        default: fatalError("no CUDA element code for \(rawValue)")
        }
    }
}


/// The kernels' `Geometry` struct: up to 8 iteration extents with three operands' strides and
/// offsets (common.cuh).
struct Geometry {
    var extents: [Int]
    var a: [Int], b: [Int], c: [Int]
    var offsetA = 0, offsetB = 0, offsetC = 0

    init(extents: [Int], a: [Int], b: [Int] = [], c: [Int] = []) {
        require(extents.count <= 8, "CUDA kernels take at most 8 axes, got \(extents)")
        self.extents = extents
        self.a = a
        self.b = b
        self.c = c
    }

    /// The struct as the kernels take it, with axes merged where every operand walks them as
    /// one (and unit axes dropped), so the kernels divide indices by fewer extents.
    var argument: KernelArgument {
        let g = coalesced()
        func padded(_ v: [Int]) -> [Int64] { v.map { Int64($0) } + [Int64](repeating: 0, count: 8 - v.count) }
        return .words(
            [Int64(g.extents.count)] + padded(g.extents) + padded(g.a) + padded(g.b) + padded(g.c)
                + [Int64(offsetA), Int64(offsetB), Int64(offsetC)])
    }

    /// The same iteration with adjacent axes merged where, for every operand, the outer
    /// axis's stride is the inner one's times its extent (broadcast axes included: 0 = 0 · n).
    func coalesced() -> Geometry {
        let zeros = [Int](repeating: 0, count: extents.count)
        let (sa, sb, sc) = (a, b.isEmpty ? zeros : b, c.isEmpty ? zeros : c)
        var e: [Int] = [], na: [Int] = [], nb: [Int] = [], nc: [Int] = []
        for axis in extents.indices where extents[axis] != 1 {
            if let last = e.indices.last, na[last] == sa[axis] * extents[axis], nb[last] == sb[axis] * extents[axis],
               nc[last] == sc[axis] * extents[axis] {
                e[last] *= extents[axis]
                (na[last], nb[last], nc[last]) = (sa[axis], sb[axis], sc[axis])
            } else {
                e.append(extents[axis]); na.append(sa[axis]); nb.append(sb[axis]); nc.append(sc[axis])
            }
        }
        var g = Geometry(extents: e, a: na, b: nb, c: nc)
        (g.offsetA, g.offsetB, g.offsetC) = (offsetA, offsetB, offsetC)
        return g
    }

    /// Strides of an operand of `shape` broadcast to `out` (aligned at the last axis; 0 where
    /// the operand's extent is 1 or missing).
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
        let own = Tensor.strides(of: shape)
        let lead = out.count - shape.count
        return out.indices.map { axis in
            axis < lead || shape[axis - lead] == 1 ? 0 : own[axis - lead]
        }
    }
}
