import CCUDA
#if canImport(Glibc)
import Glibc
#endif

/// A CUDA call failed; names the call and the driver's or NVRTC's message.
public struct CUDAError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The driver API entry points Reelflow uses, looked up in `libcuda.so.1` at run time.
/// One per process (`CUDADriver.shared`); `cuInit` runs when it loads.
public final class CUDADriver: @unchecked Sendable {
    let library: CUDALibraries.Opened
    package let cuDriverGetVersion: PFN_cuDriverGetVersion
    package let cuDeviceGetCount: PFN_cuDeviceGetCount
    package let cuDeviceGet: PFN_cuDeviceGet
    package let cuDeviceGetName: PFN_cuDeviceGetName
    package let cuDeviceGetAttribute: PFN_cuDeviceGetAttribute
    package let cuDeviceTotalMem: PFN_cuDeviceTotalMem
    package let cuDevicePrimaryCtxRetain: PFN_cuDevicePrimaryCtxRetain
    package let cuCtxSetCurrent: PFN_cuCtxSetCurrent
    package let cuCtxSynchronize: PFN_cuCtxSynchronize
    package let cuMemAlloc: PFN_cuMemAlloc
    package let cuMemFree: PFN_cuMemFree
    package let cuMemcpyHtoD: PFN_cuMemcpyHtoD
    package let cuMemcpyDtoH: PFN_cuMemcpyDtoH
    package let cuModuleLoadData: PFN_cuModuleLoadData
    package let cuModuleGetFunction: PFN_cuModuleGetFunction
    package let cuLaunchKernel: PFN_cuLaunchKernel
    package let cuGetErrorString: PFN_cuGetErrorString
    package let cuStreamCreate: PFN_cuStreamCreate
    package let cuStreamSynchronize: PFN_cuStreamSynchronize
    package let cuMemAllocAsync: PFN_cuMemAllocAsync
    package let cuMemFreeAsync: PFN_cuMemFreeAsync
    package let cuMemcpyHtoDAsync: PFN_cuMemcpyHtoDAsync
    package let cuMemcpyDtoHAsync: PFN_cuMemcpyDtoHAsync
    package let cuMemcpyDtoDAsync: PFN_cuMemcpyDtoDAsync
    package let cuMemsetD8Async: PFN_cuMemsetD8Async
    package let cuDeviceGetDefaultMemPool: PFN_cuDeviceGetDefaultMemPool
    package let cuMemPoolSetAttribute: PFN_cuMemPoolSetAttribute
    package let cuMemPoolGetAttribute: PFN_cuMemPoolGetAttribute
    package let cuFuncSetAttribute: PFN_cuFuncSetAttribute
    package let cuMemHostAlloc: PFN_cuMemHostAlloc
    package let cuMemFreeHost: PFN_cuMemFreeHost
    package let cuEventCreate: PFN_cuEventCreate
    package let cuEventRecord: PFN_cuEventRecord
    package let cuEventSynchronize: PFN_cuEventSynchronize

    /// The driver, loaded and initialised once; the error says what was looked for.
    public static let shared: Result<CUDADriver, CUDAError> = {
        do { return .success(try CUDADriver()) } catch let e as CUDAError { return .failure(e) } catch {
            return .failure(CUDAError("\(error)"))
        }
    }()

    private init() throws {
        let opened: CUDALibraries.Opened
        do { opened = try CUDALibraries.open(["libcuda.so.1", "libcuda.so"]) } catch {
            throw CUDAError("the NVIDIA driver library: \(error.description)")
        }
        library = opened
        let cuInit = try opened.function("cuInit", PFN_cuInit.self)
        cuDriverGetVersion = try opened.function("cuDriverGetVersion", PFN_cuDriverGetVersion.self)
        cuDeviceGetCount = try opened.function("cuDeviceGetCount", PFN_cuDeviceGetCount.self)
        cuDeviceGet = try opened.function("cuDeviceGet", PFN_cuDeviceGet.self)
        cuDeviceGetName = try opened.function("cuDeviceGetName", PFN_cuDeviceGetName.self)
        cuDeviceGetAttribute = try opened.function("cuDeviceGetAttribute", PFN_cuDeviceGetAttribute.self)
        cuDeviceTotalMem = try opened.function("cuDeviceTotalMem_v2", PFN_cuDeviceTotalMem.self)
        cuDevicePrimaryCtxRetain = try opened.function("cuDevicePrimaryCtxRetain", PFN_cuDevicePrimaryCtxRetain.self)
        cuCtxSetCurrent = try opened.function("cuCtxSetCurrent", PFN_cuCtxSetCurrent.self)
        cuCtxSynchronize = try opened.function("cuCtxSynchronize", PFN_cuCtxSynchronize.self)
        cuMemAlloc = try opened.function("cuMemAlloc_v2", PFN_cuMemAlloc.self)
        cuMemFree = try opened.function("cuMemFree_v2", PFN_cuMemFree.self)
        cuMemcpyHtoD = try opened.function("cuMemcpyHtoD_v2", PFN_cuMemcpyHtoD.self)
        cuMemcpyDtoH = try opened.function("cuMemcpyDtoH_v2", PFN_cuMemcpyDtoH.self)
        cuModuleLoadData = try opened.function("cuModuleLoadData", PFN_cuModuleLoadData.self)
        cuModuleGetFunction = try opened.function("cuModuleGetFunction", PFN_cuModuleGetFunction.self)
        cuLaunchKernel = try opened.function("cuLaunchKernel", PFN_cuLaunchKernel.self)
        cuGetErrorString = try opened.function("cuGetErrorString", PFN_cuGetErrorString.self)
        cuStreamCreate = try opened.function("cuStreamCreate", PFN_cuStreamCreate.self)
        cuStreamSynchronize = try opened.function("cuStreamSynchronize", PFN_cuStreamSynchronize.self)
        cuMemAllocAsync = try opened.function("cuMemAllocAsync", PFN_cuMemAllocAsync.self)
        cuMemFreeAsync = try opened.function("cuMemFreeAsync", PFN_cuMemFreeAsync.self)
        cuMemcpyHtoDAsync = try opened.function("cuMemcpyHtoDAsync_v2", PFN_cuMemcpyHtoDAsync.self)
        cuMemcpyDtoHAsync = try opened.function("cuMemcpyDtoHAsync_v2", PFN_cuMemcpyDtoHAsync.self)
        cuMemcpyDtoDAsync = try opened.function("cuMemcpyDtoDAsync_v2", PFN_cuMemcpyDtoDAsync.self)
        cuMemsetD8Async = try opened.function("cuMemsetD8Async", PFN_cuMemsetD8Async.self)
        cuDeviceGetDefaultMemPool = try opened.function("cuDeviceGetDefaultMemPool", PFN_cuDeviceGetDefaultMemPool.self)
        cuMemPoolSetAttribute = try opened.function("cuMemPoolSetAttribute", PFN_cuMemPoolSetAttribute.self)
        cuMemPoolGetAttribute = try opened.function("cuMemPoolGetAttribute", PFN_cuMemPoolGetAttribute.self)
        cuFuncSetAttribute = try opened.function("cuFuncSetAttribute", PFN_cuFuncSetAttribute.self)
        cuMemHostAlloc = try opened.function("cuMemHostAlloc", PFN_cuMemHostAlloc.self)
        cuMemFreeHost = try opened.function("cuMemFreeHost", PFN_cuMemFreeHost.self)
        cuEventCreate = try opened.function("cuEventCreate", PFN_cuEventCreate.self)
        cuEventRecord = try opened.function("cuEventRecord", PFN_cuEventRecord.self)
        cuEventSynchronize = try opened.function("cuEventSynchronize", PFN_cuEventSynchronize.self)
        try check(cuInit(0), "cuInit")
    }

    public var path: String { library.path }

    /// Throws with the driver's message unless `result` is CUDA_SUCCESS.
    package func check(_ result: CUresult, _ call: String) throws {
        guard result != 0 else { return }
        var text: UnsafePointer<CChar>?
        _ = cuGetErrorString(result, &text)
        throw CUDAError("\(call) failed: \(text.map { String(cString: $0) } ?? "error \(result)")")
    }

    /// The driver's CUDA version, e.g. 13000 for 13.0.
    public func version() throws -> Int {
        var v: Int32 = 0
        try check(cuDriverGetVersion(&v), "cuDriverGetVersion")
        return Int(v)
    }
}
