import CCUDA
import Tensors

/// Device memory behind a CUDA tensor: one allocation from the device's stream-ordered pool,
/// returned to the pool (not to the driver) when the last tensor using it goes away.
final class CUDAStorage: TensorStorage, @unchecked Sendable {
    let context: CUDAContext
    let pointer: CUdeviceptr
    let byteCount: Int

    var device: Device { context.device }

    /// `bytes` of uninitialised device memory, ordered on the context's stream.
    init(bytes: Int, context: CUDAContext) {
        self.context = context
        self.byteCount = bytes
        self.pointer = context.allocate(bytes)
    }

    deinit { context.free(pointer) }
}
