import ArgumentParser
import Foundation
import CUDABackend
import CUDARuntime
import Tensors

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the devices Reelflow can compute on, and the CUDA libraries it found.",
        discussion: """
            The CPU is always there. CUDA needs no install at build time: libcuda.so.1, NVRTC and \
            cuBLASLt are opened at run time from REELFLOW_CUDA_PATH, the usual CUDA folders, the \
            NVIDIA pip packages' folders, or the dynamic loader's path. Without them this says what \
            was looked for. --self-test compiles a kernel with NVRTC and runs it on each GPU, then             sets up the CUDA backend there (its kernels compiled by NVRTC on first use, then cached)             and checks a few of its ops against the CPU backend.
            """)

    @Flag(name: .customLong("self-test"), help: "Compile and run a test kernel on each GPU (exit 1 when one fails).")
    var selfTest = false

    func run() throws {
        Terminal.printLine(
            "cpu       \(ProcessInfo.processInfo.activeProcessorCount) cores, \(TensorThreads.count) compute threads, "
                + "OpenBLAS kernels \(TensorThreads.blasCoreName)")
        Terminal.printLine("onednn    \(OneDNN.summary) (convolutions, bf16 linear and attention on the CPU)")
        Terminal.printLine("amx       \(AMXTileProducts.summary)")
        let outcome = CUDAReport.run(selfTest: selfTest) { Terminal.printLine($0) }
        if outcome == .failed { throw ExitCodes.nodeFailed }
        guard selfTest, let gpus = try? CUDAProbe.gpus() else { return }
        var failed = false
        for gpu in gpus {
            do {
                let backend = try CUDABackend.activate(.cuda(gpu.ordinal))
                Terminal.printLine("          " + (try backend.selfCheck()))
            } catch {
                Terminal.printLine("          backend self-check failed on cuda:\(gpu.ordinal): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCodes.nodeFailed }
    }
}
