#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The calls swift-system (1.8.1) does not wrap, in swift-system's style: C names kept,
/// `Errno` thrown, `EINTR` retried where the call can be interrupted. This is the only file
/// of ReelflowIO that imports the C library; everything else goes through `FileSystemCalls`.
package enum SystemCallsMissing {
    /// The calling thread's `errno` as swift-system's type.
    package static var currentErrno: Errno { Errno(rawValue: errno) }

    package static func fsync(_ fd: FileDescriptor) throws(Errno) {
        while Glibc_fsync(fd.rawValue) != 0 {
            if errno == EINTR { continue }
            throw currentErrno
        }
    }

    package static func rename(_ from: String, _ to: String) throws(Errno) {
        guard Glibc_rename(from, to) == 0 else { throw currentErrno }
    }

    package static func link(_ existing: String, _ new: String) throws(Errno) {
        guard Glibc_link(existing, new) == 0 else { throw currentErrno }
    }

    package static func unlink(_ path: String) throws(Errno) {
        guard Glibc_unlink(path) == 0 else { throw currentErrno }
    }

    package static func mkdir(_ path: String, permissions: FilePermissions) throws(Errno) {
        guard Glibc_mkdir(path, mode_t(permissions.rawValue)) == 0 else { throw currentErrno }
    }

    package static func rmdir(_ path: String) throws(Errno) {
        guard Glibc_rmdir(path) == 0 else { throw currentErrno }
    }

    /// Sets access and modification times to now. The corresponding C function is `utimensat`.
    package static func touch(_ path: String) throws(Errno) {
        guard utimensat(AT_FDCWD, path, nil, 0) == 0 else { throw currentErrno }
    }

    /// Names in a directory, without `.` and `..`. The corresponding C functions are
    /// `opendir`, `readdir` and `closedir`.
    package static func directoryEntries(_ path: String) throws(Errno) -> [String] {
        guard let dir = opendir(path) else { throw currentErrno }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `flock`; false when `nonBlocking` and another descriptor holds a conflicting lock.
    package static func flock(_ fd: FileDescriptor, exclusive: Bool, nonBlocking: Bool) throws(Errno) -> Bool {
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (nonBlocking ? LOCK_NB : 0)
        while Glibc_flock(fd.rawValue, Int32(operation)) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK { return false }
            throw Errno(rawValue: code)
        }
        return true
    }

    package static func unlock(_ fd: FileDescriptor) { _ = Glibc_flock(fd.rawValue, LOCK_UN) }

    /// A `Stat`'s modification time in nanoseconds since 1970 (its `timespec` fields are C's).
    package static func modifiedNanoseconds(_ st: Stat) -> Int64 {
        let mtime = st.st_mtim
        return Int64(mtime.tv_sec) * 1_000_000_000 + Int64(mtime.tv_nsec)
    }

    package static var processID: Int32 { getpid() }

    /// Whether process `pid` is known to be gone (`kill(pid, 0)` fails with `ESRCH`).
    package static func processIsGone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }
}

// The C names, shadowed inside the enum by its own functions.
private func Glibc_fsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func Glibc_rename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
private func Glibc_link(_ from: String, _ to: String) -> Int32 { link(from, to) }
private func Glibc_unlink(_ path: String) -> Int32 { unlink(path) }
private func Glibc_mkdir(_ path: String, _ mode: mode_t) -> Int32 { mkdir(path, mode) }
private func Glibc_rmdir(_ path: String) -> Int32 { rmdir(path) }
private func Glibc_flock(_ fd: Int32, _ operation: Int32) -> Int32 { flock(fd, operation) }
