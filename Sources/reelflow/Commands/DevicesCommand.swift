import ArgumentParser
import Foundation
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
            was looked for. --self-test compiles a kernel with NVRTC and runs it on each GPU.
            """)

    @Flag(name: .customLong("self-test"), help: "Compile and run a test kernel on each GPU (exit 1 when one fails).")
    var selfTest = false

    func run() throws {
        Terminal.printLine(
            "cpu       \(ProcessInfo.processInfo.activeProcessorCount) cores, \(TensorThreads.count) compute threads, "
                + "OpenBLAS kernels \(TensorThreads.blasCoreName)")
        let gpus: [CUDAProbe.GPU]
        switch NVRTC.shared {
        case .success(let nvrtc): Terminal.printLine("nvrtc     \(nvrtc.path) (\(nvrtc.version()))")
        case .failure(let error): Terminal.printLine("nvrtc     not available: \(error)")
        }
        switch CUDAProbe.cublasLt() {
        case .success(let lib): Terminal.printLine("cublasLt  \(lib.path) (version \(lib.version))")
        case .failure(let error): Terminal.printLine("cublasLt  not available: \(error)")
        }
        switch CUDADriver.shared {
        case .failure(let error):
            Terminal.printLine("cuda      not available: \(error)")
            return
        case .success(let driver):
            let version = (try? driver.version()).map { "\($0 / 1000).\($0 % 1000 / 10)" } ?? "?"
            Terminal.printLine("driver    \(driver.path) (CUDA \(version))")
        }
        do { gpus = try CUDAProbe.gpus() } catch {
            Terminal.printLine("cuda      no GPU: \(error)")
            return
        }
        if gpus.isEmpty { Terminal.printLine("cuda      the driver reports no GPU") }
        var failed = false
        for gpu in gpus {
            Terminal.printLine(gpu.description)
            guard selfTest else { continue }
            do { Terminal.printLine("          " + (try CUDAProbe.selfTest(gpu))) } catch {
                Terminal.printLine("          self-test FAILED: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCodes.nodeFailed }
    }
}
