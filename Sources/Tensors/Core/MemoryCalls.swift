#if canImport(Glibc)
    import Glibc
#endif

/// Kernel hints for large tensor buffers: the only system calls Tensors makes besides OpenBLAS.
enum MemoryCalls {
    /// Buffers at least this large ask for transparent huge pages.
    static let hugePageThreshold = 8 << 20
    private static let hugePage = 2 << 20

    /// Asks the kernel to back the 2 MiB-aligned interior of `buffer` with transparent huge
    /// pages before it is first written. A large fresh allocation is otherwise faulted in
    /// 4 KiB at a time: filling an 88 MiB linear output took 65 ms that way and 14 ms with
    /// huge pages here (tensor-bench storage). Harmless when THP is off or set to `never`.
    ///
    /// The corresponding C function is `madvise` (with `MADV_HUGEPAGE`).
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
            guard buffer.count >= hugePageThreshold, let base = buffer.baseAddress else { return }
            let start = (UInt(bitPattern: base) + UInt(hugePage - 1)) & ~UInt(hugePage - 1)
            let end = (UInt(bitPattern: base) + UInt(buffer.count)) & ~UInt(hugePage - 1)
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(pointer, Int(end - start), MADV_HUGEPAGE)
        #endif
    }
}
