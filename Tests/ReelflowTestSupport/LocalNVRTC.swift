#if canImport(Glibc)
import Glibc
#endif

/// The NVRTC that `scripts/setup` puts in `.build/nvrtc` (NVIDIA's PyPI wheel; NVRTC needs no
/// GPU), so the kernel-compile tests run in CI too.
public enum LocalNVRTC {
    /// Points `REELFLOW_CUDA_PATH` at `.build/nvrtc/nvidia/cuda_nvrtc/lib` when that folder
    /// exists and the variable is unset. Call it before the first use of NVRTC.
    public static func useIfInstalled(filePath: String = #filePath) {
        guard getenv("REELFLOW_CUDA_PATH") == nil else { return }
        // <root>/Tests/ReelflowTestSupport/LocalNVRTC.swift -> <root>
        var root = filePath
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        let lib = root + "/.build/nvrtc/nvidia/cuda_nvrtc/lib"
        if access(lib + "/libnvrtc.so.12", R_OK) == 0 { setenv("REELFLOW_CUDA_PATH", lib, 0) }
    }
}
