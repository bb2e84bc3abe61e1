import Foundation
import Synchronization

/// Recycles the float32 arrays of large CPU tensors, so a tensor made right after one of the
/// same size was released reuses its memory instead of faulting in fresh pages.
///
/// Why: the system allocator maps every buffer of 32 MiB or more afresh and unmaps it on
/// release, so a loop that makes and drops a tensor per layer (reading a checkpoint into
/// float32, one layer at a time) pays the kernel's zeroing of every page each time. Measured
/// on a 1 GiB bf16 checkpoint read into a new float32 tensor per layer: 0.47-0.48x `cat`
/// without the pool, 1.46-1.53x with it (docs/benchmarks.md, "Recycled host buffers").
///
/// Rules, so memory use stays near what it was without the pool:
/// - only arrays of at least `minimumCount` floats (32 MiB; below that the system allocator
///   recycles freed memory itself) are kept, at most `capacityBytes` together
///   (`REELFLOW_HOST_POOL_MB`, default 256; 0 turns the pool off);
/// - a request takes an array of exactly its size, the most recently released first;
/// - a request that finds none releases kept arrays, oldest first, worth at least its own
///   size, so a miss does not add the pool's holdings on top of the new allocation. (Smaller
///   allocations do not release them: measured, a peak grew by 4-9%.)
///
/// A kept array that another value still shares (a `hostScalars()` copy) is copied on first
/// write, as any Swift array is: correct, only not faster.
final class HostBufferPool: Sendable {
    static let shared = HostBufferPool(capacityBytes: HostBufferPool.configuredCapacity())

    static let minimumCount = 8 << 20

    let capacityBytes: Int
    private let kept = Mutex<[[Float]]>([])

    init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    static func configuredCapacity(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        let megabytes = environment["REELFLOW_HOST_POOL_MB"].flatMap { Int($0) }.map { max(0, $0) } ?? 256
        return megabytes << 20
    }

    /// Bytes held now (tests and benchmarks).
    var heldBytes: Int { kept.withLock { $0.reduce(0) { $0 + $1.count * 4 } } }

    /// Keeps `array` for reuse if it is large enough and fits.
    func release(_ array: [Float]) {
        let bytes = array.count * 4
        guard array.count >= Self.minimumCount, bytes <= capacityBytes else { return }
        kept.withLock { kept in
            var held = kept.reduce(0) { $0 + $1.count * 4 }
            while held + bytes > capacityBytes, !kept.isEmpty { held -= kept.removeFirst().count * 4 }
            kept.append(array)
        }
    }

    /// An array of exactly `count` floats, uninitialised in meaning (it holds an earlier
    /// tensor's values), or nil; a miss releases kept arrays worth at least `count` floats.
    func take(count: Int) -> [Float]? {
        guard count >= Self.minimumCount, capacityBytes > 0 else { return nil }
        let (hit, dropped) = kept.withLock { kept -> ([Float]?, [[Float]]) in
            if let i = kept.lastIndex(where: { $0.count == count }) { return (kept.remove(at: i), []) }
            var dropped: [[Float]] = [], freed = 0
            while freed < count, !kept.isEmpty {
                let first = kept.removeFirst()
                freed += first.count
                dropped.append(first)
            }
            return (nil, dropped)
        }
        _ = dropped  // released here, outside the lock
        return hit
    }

    /// Fresh float32 memory for `count` elements, written by `body` (which must write every
    /// element): a kept array of that size when there is one, else a new one with transparent
    /// huge pages advised.
    static func floats(count: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> [Float] {
        if var reused = shared.take(count: count) {
            try reused.withUnsafeMutableBufferPointer { try body($0) }
            return reused
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let elements = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            MemoryCalls.adviseHugePages(UnsafeMutableRawBufferPointer(elements))
            try body(elements)
            initialized = count
        }
    }
}
