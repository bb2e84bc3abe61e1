import Testing
@testable import Tensors

/// The pool of released large float32 arrays: exact-size reuse, the byte cap, and a miss
/// that gives back at least what it will allocate. Each test uses a pool of its own, so
/// tensors made by other suites at the same time do not interfere.
struct HostBufferPoolTests {
    let n = HostBufferPool.minimumCount

    func address(_ a: [Float]) -> UInt { a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }

    @Test func aReleasedArrayIsReusedForTheSameSizeOnly() {
        let pool = HostBufferPool(capacityBytes: 8 * n * 4)
        let a = [Float](repeating: 1, count: n)
        let where_ = address(a)
        pool.release(a)
        #expect(pool.heldBytes == n * 4)
        let again = pool.take(count: n)
        #expect(again.map(address) == where_, "the same memory comes back")
        #expect(pool.heldBytes == 0)
        #expect(pool.take(count: n) == nil, "taken once")
    }

    @Test func aMissGivesBackAtLeastItsOwnSize() {
        let pool = HostBufferPool(capacityBytes: 8 * n * 4)
        pool.release([Float](repeating: 0, count: n))
        pool.release([Float](repeating: 0, count: 2 * n))
        #expect(pool.take(count: 3 * n) == nil)
        #expect(pool.heldBytes == 0, "both kept arrays (3n floats) were released for the 3n request")
        pool.release([Float](repeating: 0, count: 2 * n))
        let newer = [Float](repeating: 0, count: n)
        pool.release(newer)
        #expect(pool.take(count: 3 * n / 2) == nil)
        #expect(pool.heldBytes == n * 4, "the oldest (2n floats) was released for the 1.5n request, the newer kept")
        #expect(pool.take(count: n).map(address) == address(newer))
    }

    @Test func smallArraysAndAZeroCapacityKeepNothing() {
        let pool = HostBufferPool(capacityBytes: 8 * n * 4)
        pool.release([Float](repeating: 0, count: n - 1))
        #expect(pool.heldBytes == 0)
        let off = HostBufferPool(capacityBytes: 0)
        off.release([Float](repeating: 0, count: n))
        #expect(off.heldBytes == 0)
        #expect(off.take(count: n) == nil)
    }

    @Test func theCapEvictsTheOldest() {
        let pool = HostBufferPool(capacityBytes: 2 * n * 4)
        let first = [Float](repeating: 0, count: n), second = [Float](repeating: 0, count: n)
        let third = [Float](repeating: 0, count: n)
        pool.release(first)
        pool.release(second)
        pool.release(third)
        #expect(pool.heldBytes == 2 * n * 4)
        #expect(pool.take(count: n).map(address) == address(third), "most recent first")
        #expect(pool.take(count: n).map(address) == address(second))
        #expect(pool.take(count: n) == nil, "the oldest was evicted")
    }

    @Test func theCapacityComesFromTheEnvironment() {
        #expect(HostBufferPool.configuredCapacity(environment: [:]) == 256 << 20)
        #expect(HostBufferPool.configuredCapacity(environment: ["REELFLOW_HOST_POOL_MB": "0"]) == 0)
        #expect(HostBufferPool.configuredCapacity(environment: ["REELFLOW_HOST_POOL_MB": "64"]) == 64 << 20)
    }

    /// A tensor made from reused memory holds what its op wrote, not the earlier tensor's values.
    @Test func tensorsFromReusedMemoryHoldTheirOwnValues() {
        let shape = [2, n / 2]
        for value: Float in [1, 2, 3] {
            let t = Tensor(repeating: value, shape: shape) + 0
            #expect(t.hostScalars().allSatisfy { $0 == value })
        }
    }
}
