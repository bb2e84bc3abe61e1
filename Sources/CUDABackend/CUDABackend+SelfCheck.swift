import Tensors

extension CUDABackend {
    /// A few of this backend's ops against the CPU backend on its GPU (`BackendCheck`):
    /// `reelflow devices --self-test` runs it after the driver-level self-test.
    /// - Returns: a one-line summary.
    /// - Throws: `BackendCheck.Failure` naming the first op whose result is off.
    public func selfCheck() throws -> String { try BackendCheck.run(on: device) }
}
