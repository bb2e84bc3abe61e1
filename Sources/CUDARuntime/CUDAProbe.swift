import CCUDA
#if canImport(Glibc)
import Glibc
#endif

/// What CUDA this process can use: the libraries found, the GPUs, and a self-test that
/// compiles a kernel with NVRTC, runs it through the driver API and checks its result. The
/// first slice of the CUDA backend (`reelflow devices`); on a machine without CUDA it says
/// what was looked for.
public enum CUDAProbe {
    public struct GPU: Sendable, CustomStringConvertible {
        public var ordinal: Int
        public var name: String
        public var computeCapability: (major: Int, minor: Int)
        public var multiprocessors: Int
        public var memoryBytes: Int
        public var architecture: Int { computeCapability.major * 10 + computeCapability.minor }
        public var description: String {
            "cuda:\(ordinal)  \(name)  sm_\(architecture)  \(multiprocessors) SMs  \(memoryBytes >> 20) MiB"
        }
    }

    /// The GPUs the driver reports.
    public static func gpus() throws -> [GPU] {
        let d = try CUDADriver.shared.get()
        var count: Int32 = 0
        try d.check(d.cuDeviceGetCount(&count), "cuDeviceGetCount")
        var out: [GPU] = []
        for i in 0..<Int(count) {
            var device: CUdevice = 0
            try d.check(d.cuDeviceGet(&device, Int32(i)), "cuDeviceGet")
            var name = [CChar](repeating: 0, count: 256)
            try d.check(d.cuDeviceGetName(&name, 255, device), "cuDeviceGetName")
            func attribute(_ a: Int32) throws -> Int {
                var v: Int32 = 0
                try d.check(d.cuDeviceGetAttribute(&v, a, device), "cuDeviceGetAttribute")
                return Int(v)
            }
            var bytes = 0
            try d.check(d.cuDeviceTotalMem(&bytes, device), "cuDeviceTotalMem")
            out.append(GPU(
                ordinal: i, name: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                computeCapability: (try attribute(Int32(REELFLOW_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)),
                                    try attribute(Int32(REELFLOW_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))),
                multiprocessors: try attribute(Int32(REELFLOW_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)),
                memoryBytes: bytes))
        }
        return out
    }

    /// cuBLASLt's path and version (`cublasLtGetVersion`), or why it is missing.
    public static func cublasLt() -> Result<(path: String, version: Int), CUDAError> {
        do {
            let lib = try CUDALibraries.open(["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"])
            guard let p = lib.symbol("cublasLtGetVersion") else { return .failure(CUDAError("\(lib.path) has no cublasLtGetVersion")) }
            return .success((lib.path, Int(unsafeBitCast(p, to: PFN_cublasLtGetVersion.self)())))
        } catch {
            return .failure(CUDAError("cuBLASLt: \(error.description)"))
        }
    }

    /// The self-test kernel: y = a·x + y over n floats.
    static let saxpy = """
        extern "C" __global__ void saxpy(float a, const float *x, float *y, int n) {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) y[i] = a * x[i] + y[i];
        }
        """

    /// Compiles `saxpy` for `gpu` with NVRTC, runs it on a million floats through the driver
    /// API and checks every value. Returns a one-line summary.
    public static func selfTest(_ gpu: GPU) throws -> String {
        let d = try CUDADriver.shared.get()
        let nvrtc = try NVRTC.shared.get()
        var device: CUdevice = 0
        try d.check(d.cuDeviceGet(&device, Int32(gpu.ordinal)), "cuDeviceGet")
        var context: CUcontext?
        try d.check(d.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain")
        try d.check(d.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        let start = ContinuousClock.now
        let key = KernelCache.Key(source: saxpy, name: "saxpy.cu", architecture: gpu.architecture, compilerVersion: nvrtc.version())
        let (cubin, cached) = try KernelCache(root: KernelCache.defaultRoot()).cubin(for: key) {
            try nvrtc.compile($0.source, name: $0.name, architecture: $0.architecture, options: $0.options)
        }
        let compileTime = ContinuousClock.now - start
        var module: CUmodule?
        try cubin.withUnsafeBytes { try d.check(d.cuModuleLoadData(&module, $0.baseAddress), "cuModuleLoadData") }
        var function: CUfunction?
        try d.check(d.cuModuleGetFunction(&function, module, "saxpy"), "cuModuleGetFunction")

        let n = 1 << 20
        let x = (0..<n).map { Float($0 % 1000) * 0.5 }, y0 = (0..<n).map { Float($0 % 7) }
        var dx: CUdeviceptr = 0, dy: CUdeviceptr = 0
        try d.check(d.cuMemAlloc(&dx, n * 4), "cuMemAlloc")
        defer { _ = d.cuMemFree(dx) }
        try d.check(d.cuMemAlloc(&dy, n * 4), "cuMemAlloc")
        defer { _ = d.cuMemFree(dy) }
        try x.withUnsafeBytes { try d.check(d.cuMemcpyHtoD(dx, $0.baseAddress, n * 4), "cuMemcpyHtoD") }
        try y0.withUnsafeBytes { try d.check(d.cuMemcpyHtoD(dy, $0.baseAddress, n * 4), "cuMemcpyHtoD") }
        var a: Float = 3, count = Int32(n)
        try withUnsafeMutablePointer(to: &a) { pa in
            try withUnsafeMutablePointer(to: &dx) { px in
                try withUnsafeMutablePointer(to: &dy) { py in
                    try withUnsafeMutablePointer(to: &count) { pn in
                        var parameters: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(pa), UnsafeMutableRawPointer(px), UnsafeMutableRawPointer(py), UnsafeMutableRawPointer(pn)]
                        try d.check(d.cuLaunchKernel(function, UInt32((n + 255) / 256), 1, 1, 256, 1, 1, 0, nil, &parameters, nil), "cuLaunchKernel")
                    }
                }
            }
        }
        try d.check(d.cuCtxSynchronize(), "cuCtxSynchronize")
        var y = [Float](repeating: 0, count: n)
        try y.withUnsafeMutableBytes { try d.check(d.cuMemcpyDtoH($0.baseAddress!, dy, n * 4), "cuMemcpyDtoH") }
        let wrong = (0..<n).first { y[$0] != 3 * x[$0] + y0[$0] }
        if let wrong { throw CUDAError("self-test: y[\(wrong)] = \(y[wrong]), expected \(3 * x[wrong] + y0[wrong])") }
        let ms = Int((Double(compileTime.components.attoseconds) / 1e15 + Double(compileTime.components.seconds) * 1000).rounded())
        return "self-test passed on cuda:\(gpu.ordinal): saxpy for sm_\(gpu.architecture) "
            + (cached ? "from the kernel cache" : "compiled by NVRTC \(nvrtc.version())")
            + " (\(cubin.count) bytes of cubin, \(ms) ms), and its \(n) results are exact"
    }
}
