import Glibc

/// Asks the kernel to back the 2 MiB-aligned interior of a large, not yet touched buffer with
/// transparent huge pages. A decoded 81-frame 512x512 clip is 243 MiB of floats written once:
/// with 4 KiB pages the first-touch faults cost more than the decoding. Harmless where THP is
/// off or the call fails. The corresponding C function is `madvise(MADV_HUGEPAGE)`.
func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
    let huge = 2 << 20
    guard bytes >= 4 * huge else { return }
    let begin = (Int(bitPattern: start) + huge - 1) / huge * huge
    let end = (Int(bitPattern: start) + bytes) / huge * huge
    guard end > begin, let p = UnsafeMutableRawPointer(bitPattern: begin) else { return }
    _ = madvise(p, end - begin, MADV_HUGEPAGE)
}

/// Makes the pages of `[start, start + bytes)` present and writable without touching their
/// contents (the kernel zero-fills pages not yet present, and leaves present ones alone).
/// Returns false when the kernel refuses (before Linux 5.14, or the range is not mapped).
/// The corresponding C function is `madvise(MADV_POPULATE_WRITE)`.
func populateForWrite(_ start: UnsafeMutableRawPointer, bytes: Int) -> Bool {
    let page = 4096
    let begin = Int(bitPattern: start) / page * page
    let end = Int(bitPattern: start) + bytes
    guard end > begin, let p = UnsafeMutableRawPointer(bitPattern: begin) else { return true }
    return madvise(p, end - begin, MADV_POPULATE_WRITE) == 0
}
