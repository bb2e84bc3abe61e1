internal import CKernels
import Foundation

/// The process's allocator settings for tensor work (glibc's malloc).
///
/// glibc maps every allocation above its mmap threshold afresh and unmaps it on release, and
/// hands the top of its heap back to the system once more than its trim threshold is free
/// there. Both thresholds start low (128 KiB) and move with what the process frees, so a
/// transformer step, which makes and drops tensors of 6-52 MB per block, kept faulting in
/// fresh pages: 85-96 thousand page faults (about 370 MB zeroed by the kernel) per small bf16
/// step, against none for PyTorch's step in the same run, and 1.3 s of system time in five
/// steps. Fixing the mmap threshold at 32 MiB (glibc's own upper bound for it) and the trim
/// threshold at 128 MiB leaves about 150 faults per step (docs/benchmarks.md, "Page faults of
/// a model step").
enum HostAllocator {
    static let mmapThreshold: Int32 = 32 << 20
    static let trimThreshold: Int32 = 128 << 20

    /// Whether the environment already sets glibc's malloc thresholds (they win), or turns this
    /// off with `REELFLOW_MALLOC_TUNING=0`.
    static func leftToEnvironment(_ environment: [String: String]) -> Bool {
        if environment["REELFLOW_MALLOC_TUNING"] == "0" { return true }
        if environment["MALLOC_MMAP_THRESHOLD_"] != nil || environment["MALLOC_TRIM_THRESHOLD_"] != nil { return true }
        return environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") ?? false
    }

    /// Sets the two thresholds; false where the environment decides or the C library is not glibc.
    static func tune(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard !leftToEnvironment(environment) else { return false }
        return reelflow_set_malloc_thresholds(mmapThreshold, trimThreshold) == 1
    }
}
