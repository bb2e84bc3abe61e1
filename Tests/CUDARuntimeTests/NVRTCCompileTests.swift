import Foundation
import ReelflowTestSupport
import Testing
@testable import CUDARuntime

/// NVRTC runs without a GPU: where its library is found (REELFLOW_CUDA_PATH, a CUDA install,
/// or an NVIDIA pip package in VIRTUAL_ENV), the CUDA kernels must compile. Elsewhere (CI has no
/// CUDA) these tests are skipped, and the missing-library message is checked instead.
@Suite struct NVRTCCompileTests {
    static var available: Bool {
        LocalNVRTC.useIfInstalled()
        if case .success = NVRTC.shared { return true } else { return false }
    }

    @Test(.enabled(if: available, "NVRTC not found (set REELFLOW_CUDA_PATH or VIRTUAL_ENV to one with nvidia/cuda_nvrtc)"))
    func selfTestKernelCompilesForHopper() throws {
        let nvrtc = try NVRTC.shared.get()
        let cubin = try nvrtc.compile(CUDAProbe.saxpy, name: "saxpy.cu", architecture: 90)
        #expect(cubin.count > 100)
        #expect(Array(cubin.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], "a cubin is an ELF file")
    }

    @Test(.enabled(if: available, "NVRTC not found"))
    func theKernelCacheKeepsNVRTCsCubin() throws {
        let nvrtc = try NVRTC.shared.get()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nvrtc-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = KernelCache(root: root)
        let key = KernelCache.Key(source: CUDAProbe.saxpy, name: "saxpy.cu", architecture: 90, compilerVersion: nvrtc.version())
        let compile = { (k: KernelCache.Key) in try nvrtc.compile(k.source, name: k.name, architecture: k.architecture, options: k.options) }
        let first = try cache.cubin(for: key, compile: compile)
        let second = try cache.cubin(for: key, compile: compile)
        #expect(!first.cached && second.cached && first.cubin == second.cubin)
    }

    @Test(.enabled(if: available, "NVRTC not found"))
    func aBrokenKernelReportsNVRTCsLog() throws {
        let nvrtc = try NVRTC.shared.get()
        #expect {
            _ = try nvrtc.compile("extern \"C\" __global__ void k(float *x) { x[0] = undefined_name; }", name: "broken.cu", architecture: 90)
        } throws: { error in
            let text = "\(error)"
            return text.contains("NVRTC could not compile broken.cu for sm_90") && text.contains("undefined_name")
        }
    }

    @Test func aMissingLibraryNamesWhatWasSearched() {
        #expect {
            _ = try CUDALibraries.open(["libdoes-not-exist.so.1"], environment: ["REELFLOW_CUDA_PATH": "/nonexistent/cuda"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("libdoes-not-exist.so.1 not found") && text.contains("REELFLOW_CUDA_PATH")
        }
    }
}
