import CCUDA
import CUDARuntime

#if canImport(Glibc)
import Glibc
#endif

/// Two page-locked host buffers that large uploads (weights from a memory-mapped file) pass
/// through: while the GPU copies one buffer's piece, the host fills the other, and the copy
/// engine reads page-locked memory at full speed where pageable memory would go through the
/// driver's own smaller staging. Made on the first large upload and kept for the context's
/// life (the process's: contexts are never torn down); the caller holds the lock.
final class PinnedStaging: @unchecked Sendable {
    static let pieceBytes = 32 << 20
    private let driver: CUDADriver
    private var buffers: [UnsafeMutableRawPointer] = []
    private var events: [CUevent] = []
    private var pending = [false, false]
    private var next = 0

    init(driver: CUDADriver) throws {
        self.driver = driver
        for _ in 0..<2 {
            var p: UnsafeMutableRawPointer?
            try driver.check(driver.cuMemHostAlloc(&p, Self.pieceBytes, 0), "cuMemHostAlloc(\(Self.pieceBytes) bytes)")
            var e: CUevent?
            try driver.check(driver.cuEventCreate(&e, UInt32(REELFLOW_CU_EVENT_DISABLE_TIMING)), "cuEventCreate")
            guard let p, let e else { throw CUDAError("cuMemHostAlloc or cuEventCreate returned nothing") }
            buffers.append(p)
            events.append(e)
        }
    }

    /// Queues the copy of `bytes` to `pointer` on `stream` piece by piece. Returns once every
    /// piece is in a staging buffer, so `bytes` may be freed then; the copies finish in stream order.
    func upload(_ bytes: UnsafeRawBufferPointer, to pointer: CUdeviceptr, stream: CUstream?) throws {
        var offset = 0
        while offset < bytes.count {
            let piece = min(Self.pieceBytes, bytes.count - offset)
            let slot = next
            next = 1 - next
            if pending[slot] { try driver.check(driver.cuEventSynchronize(events[slot]), "cuEventSynchronize") }
            memcpy(buffers[slot], bytes.baseAddress! + offset, piece)
            try driver.check(
                driver.cuMemcpyHtoDAsync(pointer + CUdeviceptr(offset), buffers[slot], piece, stream), "cuMemcpyHtoDAsync (staged)")
            try driver.check(driver.cuEventRecord(events[slot], stream), "cuEventRecord")
            pending[slot] = true
            offset += piece
        }
    }
}
