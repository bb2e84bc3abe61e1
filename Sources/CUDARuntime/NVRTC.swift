import CCUDA
#if canImport(Glibc)
import Glibc
#endif

/// NVRTC, looked up at run time: compiles CUDA C sources to a cubin for one architecture.
/// Runs without a GPU.
public final class NVRTC: @unchecked Sendable {
    let library: CUDALibraries.Opened
    let nvrtcVersion: PFN_nvrtcVersion
    let nvrtcCreateProgram: PFN_nvrtcCreateProgram
    let nvrtcCompileProgram: PFN_nvrtcCompileProgram
    let nvrtcGetProgramLogSize: PFN_nvrtcGetProgramLogSize
    let nvrtcGetProgramLog: PFN_nvrtcGetProgramLog
    let nvrtcGetCUBINSize: PFN_nvrtcGetCUBINSize
    let nvrtcGetCUBIN: PFN_nvrtcGetCUBIN
    let nvrtcDestroyProgram: PFN_nvrtcDestroyProgram
    let nvrtcGetErrorString: PFN_nvrtcGetErrorString

    public static let shared: Result<NVRTC, CUDAError> = {
        do { return .success(try NVRTC()) } catch let e as CUDAError { return .failure(e) } catch { return .failure(CUDAError("\(error)")) }
    }()

    private init() throws {
        let opened: CUDALibraries.Opened
        do { opened = try CUDALibraries.open(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]) } catch {
            throw CUDAError("NVRTC: \(error.description)")
        }
        library = opened
        nvrtcVersion = try opened.function("nvrtcVersion", PFN_nvrtcVersion.self)
        nvrtcCreateProgram = try opened.function("nvrtcCreateProgram", PFN_nvrtcCreateProgram.self)
        nvrtcCompileProgram = try opened.function("nvrtcCompileProgram", PFN_nvrtcCompileProgram.self)
        nvrtcGetProgramLogSize = try opened.function("nvrtcGetProgramLogSize", PFN_nvrtcGetProgramLogSize.self)
        nvrtcGetProgramLog = try opened.function("nvrtcGetProgramLog", PFN_nvrtcGetProgramLog.self)
        nvrtcGetCUBINSize = try opened.function("nvrtcGetCUBINSize", PFN_nvrtcGetCUBINSize.self)
        nvrtcGetCUBIN = try opened.function("nvrtcGetCUBIN", PFN_nvrtcGetCUBIN.self)
        nvrtcDestroyProgram = try opened.function("nvrtcDestroyProgram", PFN_nvrtcDestroyProgram.self)
        nvrtcGetErrorString = try opened.function("nvrtcGetErrorString", PFN_nvrtcGetErrorString.self)
    }

    public var path: String { library.path }

    /// "major.minor".
    public func version() -> String {
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtcVersion(&major, &minor)
        return "\(major).\(minor)"
    }

    /// The cubin of `source` for `sm_<architecture>` (e.g. 90).
    /// - Throws: `CUDAError` with NVRTC's log when the source does not compile.
    public func compile(_ source: String, name: String, architecture: Int, options: [String] = []) throws -> [UInt8] {
        var program: nvrtcProgram?
        try check(nvrtcCreateProgram(&program, source, name, 0, nil, nil), "nvrtcCreateProgram")
        defer { _ = nvrtcDestroyProgram(&program) }
        let all = ["--gpu-architecture=sm_\(architecture)", "--std=c++17"] + options
        let cStrings = all.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let compiled = cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer {
            nvrtcCompileProgram(program, Int32(all.count), $0.baseAddress)
        }
        guard compiled == 0 else {
            var size = 0
            _ = nvrtcGetProgramLogSize(program, &size)
            var log = [CChar](repeating: 0, count: max(size, 1))
            _ = nvrtcGetProgramLog(program, &log)
            throw CUDAError("NVRTC could not compile \(name) for sm_\(architecture): \(errorText(compiled))\n\(String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        var size = 0
        try check(nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize")
        var cubin = [CChar](repeating: 0, count: size)
        try check(nvrtcGetCUBIN(program, &cubin), "nvrtcGetCUBIN")
        return cubin.map { UInt8(bitPattern: $0) }
    }

    func errorText(_ result: nvrtcResult) -> String {
        nvrtcGetErrorString(result).map { String(cString: $0) } ?? "error \(result)"
    }

    func check(_ result: nvrtcResult, _ call: String) throws {
        guard result != 0 else { return }
        throw CUDAError("\(call) failed: \(errorText(result))")
    }
}
