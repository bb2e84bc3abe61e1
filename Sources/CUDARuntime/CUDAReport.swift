/// The report `reelflow devices` and `cuda-probe` print: the CUDA libraries found (or what was
/// searched), the driver, each GPU and, with `selfTest`, each GPU's self-test.
public enum CUDAReport {
    public enum Outcome: Sendable, Equatable {
        /// Everything asked for ran (no driver or no GPU is not a failure: there is nothing to test).
        case ok
        /// No usable driver.
        case noDriver
        /// The driver loaded but could not list the GPUs.
        case noGPUList
        /// A GPU's self-test failed.
        case failed
    }

    /// Calls `line` with each line of the report.
    public static func run(selfTest: Bool, line: (String) -> Void) -> Outcome {
        switch NVRTC.shared {
        case .success(let nvrtc): line("nvrtc     \(nvrtc.path) (\(nvrtc.version()))")
        case .failure(let error): line("nvrtc     not available: \(error)")
        }
        switch CUDAProbe.cublasLt() {
        case .success(let lib): line("cublasLt  \(lib.path) (version \(lib.version))")
        case .failure(let error): line("cublasLt  not available: \(error)")
        }
        switch CUDNN.shared {
        case .success(let lib): line("cudnn     \(lib.path) (version \(lib.version))")
        case .failure(let error): line("cudnn     not available (convolutions use im2col): \(error)")
        }
        switch CUDADriver.shared {
        case .failure(let error):
            line("cuda      not available: \(error)")
            return .noDriver
        case .success(let driver):
            let version = (try? driver.version()).map { "\($0 / 1000).\($0 % 1000 / 10)" } ?? "?"
            line("driver    \(driver.path) (CUDA \(version))")
        }
        let gpus: [CUDAProbe.GPU]
        do { gpus = try CUDAProbe.gpus() } catch {
            line("cuda      no GPU: \(error)")
            return .noGPUList
        }
        if gpus.isEmpty { line("cuda      the driver reports no GPU") }
        var outcome = Outcome.ok
        for gpu in gpus {
            line(gpu.description)
            guard selfTest else { continue }
            do { line("          " + (try CUDAProbe.selfTest(gpu))) } catch {
                line("          self-test FAILED: \(error)")
                outcome = .failed
            }
        }
        return outcome
    }
}
