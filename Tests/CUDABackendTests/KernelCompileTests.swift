import CUDARuntime
import Tensors
import ReelflowTestSupport
import Testing

@testable import CUDABackend

/// The CUDA backend's kernels (Sources/CUDABackend/Kernels/) compile with NVRTC for every GPU
/// architecture the backend targets, and the module exports every kernel the backend launches.
/// NVRTC runs without a GPU; where it is missing, the tests are skipped and say why.
@Suite struct KernelCompileTests {
    static var available: Bool {
        LocalNVRTC.useIfInstalled()
        if case .success = NVRTC.shared { return true } else { return false }
    }

    @Test(
        .enabled(if: available, "NVRTC not found (set REELFLOW_CUDA_PATH or VIRTUAL_ENV to one with nvidia/cuda_nvrtc)"),
        arguments: [80, 90])
    func everyKernelCompiles(architecture: Int) throws {
        let nvrtc = try NVRTC.shared.get()
        let cubin = try nvrtc.compile(KernelSources.all, name: "reelflow_kernels.cu", architecture: architecture)
        #expect(cubin.prefix(4) == [0x7F, 0x45, 0x4C, 0x46], "not an ELF cubin")
        for name in KernelSources.kernelNames {
            #expect(cubin.firstRange(of: Array(name.utf8) + [0]) != nil, "\(name) is not in the module")
        }
    }

    /// The embedded sources are the files in Kernels/, with common.cuh first.
    @Test func theSourcesAreEmbedded() {
        #expect(KernelSources.all.hasPrefix("// Shared by every CUDA kernel"))
        for name in KernelSources.kernelNames {
            #expect(KernelSources.all.contains(" \(name)(") || KernelSources.all.contains("\n\(name)("), "\(name) has no source")
        }
    }
}

/// Without a GPU driver, asking for the CUDA backend is a clear error saying what was looked for.
@Suite struct NoGPUTests {
    @Test(.enabled(if: { if case .failure = CUDADriver.shared { true } else { false } }(), "a CUDA driver is present"))
    func activatingWithoutADriverSaysWhatWasLookedFor() {
        do {
            _ = try CUDABackend.activate(.cuda(0))
            Issue.record("activate succeeded without a driver")
        } catch {
            #expect("\(error)".contains("libcuda.so.1"), "\(error)")
        }
    }
}
