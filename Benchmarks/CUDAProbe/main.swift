// cuda-probe: what `reelflow devices --self-test` does, in a binary small enough to carry to
// the GPU machine (CUDARuntime only: no Foundation, no OpenBLAS, no FFmpeg). See docs/cuda.md.
import CUDARuntime

#if canImport(Glibc)
import Glibc
#endif

let outcome = CUDAReport.run(selfTest: CommandLine.arguments.contains("--self-test")) { print($0) }
exit(outcome == .ok ? 0 : outcome == .noDriver ? 2 : 1)  // cannot list the GPUs, or a self-test failed: 1
