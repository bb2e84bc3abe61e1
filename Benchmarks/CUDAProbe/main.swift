// cuda-probe: what `reelflow devices --self-test` does, in a binary small enough to carry to
// the GPU machine (CUDARuntime only: no Foundation, no OpenBLAS, no FFmpeg). See docs/cuda.md.
import CUDARuntime

#if canImport(Glibc)
import Glibc
#endif

let selfTest = CommandLine.arguments.contains("--self-test")
switch NVRTC.shared {
case .success(let nvrtc): print("nvrtc     \(nvrtc.path) (\(nvrtc.version()))")
case .failure(let error): print("nvrtc     not available: \(error)")
}
switch CUDAProbe.cublasLt() {
case .success(let lib): print("cublasLt  \(lib.path) (version \(lib.version))")
case .failure(let error): print("cublasLt  not available: \(error)")
}
switch CUDADriver.shared {
case .failure(let error):
    print("cuda      not available: \(error)")
    exit(2)
case .success(let driver):
    print("driver    \(driver.path) (CUDA \((try? driver.version()).map { "\($0 / 1000).\($0 % 1000 / 10)" } ?? "?"))")
}
var failed = false
do {
    for gpu in try CUDAProbe.gpus() {
        print(gpu.description)
        guard selfTest else { continue }
        do { print("          " + (try CUDAProbe.selfTest(gpu))) } catch {
            print("          self-test FAILED: \(error)")
            failed = true
        }
    }
} catch {
    print("cuda      no GPU: \(error)")
    failed = true
}
exit(failed ? 1 : 0)
