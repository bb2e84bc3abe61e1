#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; the mapping lives as long as this object.
///
/// This is the one place in the safetensors code that calls `open`, `fstat`, `mmap`,
/// `madvise` and `munmap`. The pointer never leaves the module.
///
/// `@unchecked Sendable` because the mapping is `PROT_READ` and `MAP_PRIVATE`, set up
/// completely in `init` and unmapped only in `deinit`: between the two nothing writes
/// to it or to the stored properties, so concurrent reads are safe. (If another process
/// truncates the file while it is mapped, touching the lost pages raises SIGBUS; no
/// portable API can prevent that, so weight files must not be rewritten in place. Our
/// writer replaces files by rename, which leaves an existing mapping intact.)
final class MappedFile: @unchecked Sendable {
    let path: String
    /// The file's bytes; empty for an empty file.
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`.
    /// - Throws: `WeightFileError.cannotOpen` naming the path and the system's reason.
    init(path: String) throws(WeightFileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.systemError(path, "cannot open the file") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.systemError(path, "cannot stat the file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WeightFileError(.cannotOpen, path: path, "is not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw Self.systemError(path, "cannot map the file")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Starts reading the given byte range from disk in the background (`MADV_WILLNEED`);
    /// page faults alone read 64 KiB at a time. A hint: failures are ignored.
    /// The corresponding C function is `madvise`.
    func startReadahead(_ range: Range<Int>) {
        advise(range, MADV_WILLNEED)
    }

    /// Maps the given byte range into the page table in one call (`MADV_POPULATE_READ`,
    /// Linux 5.14+), waiting for data still on disk, instead of one fault per 64 KiB. A hint:
    /// ignored on older kernels. The corresponding C function is `madvise`.
    func populate(_ range: Range<Int>) {
        #if os(Linux)
        advise(range, 22)  // MADV_POPULATE_READ, missing from older headers
        #endif
    }

    private func advise(_ range: Range<Int>, _ advice: Int32) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let start = range.lowerBound / Self.pageSize * Self.pageSize
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, advice)
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private static func systemError(_ path: String, _ action: String) -> WeightFileError {
        let code = errno
        return WeightFileError(.cannotOpen, path: path, "\(action): \(String(cString: strerror(code))) (errno \(code))")
    }
}
