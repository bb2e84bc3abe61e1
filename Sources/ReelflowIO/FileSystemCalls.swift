#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file system calls the cache, the output writers and the safetensors writer make, in
/// one place: paths in as `String`, results out as Swift values, failures as
/// `FileSystemError` carrying the call, the path and `errno`. Package-internal: the engine
/// maps the errors to `CacheError`, the output writers to `OutputFileError`.
package enum FileSystemCalls {
    /// The parts of `stat(2)` the cache uses.
    package struct Status: Sendable, Equatable {
        package var size: Int64
        /// Modification time in nanoseconds since 1970.
        package var modifiedNanoseconds: Int64
        package var isDirectory: Bool
        package var isRegularFile: Bool
        package var device: UInt64
        package var inode: UInt64
    }

    /// `open` flags, so callers need not import the C module.
    package static let readOnly = O_RDONLY
    package static let readWriteCreate = O_RDWR | O_CREAT
    package static let createExclusive = O_WRONLY | O_CREAT | O_EXCL

    package static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    package static func failure(_ action: String, _ path: String, code: Int32 = errno) -> FileSystemError {
        FileSystemError(action: action, path: path, code: code)
    }

    /// `stat` of `path`, or nil when nothing is there. The corresponding C function is `stat`.
    package static func status(_ path: String) throws(FileSystemError) -> Status? {
        var st = stat()
        if stat(path, &st) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw failure("stat", path, code: code)
        }
        return Status(st)
    }

    /// `fstat` of an open descriptor. The corresponding C function is `fstat`.
    package static func status(fd: Int32, path: String) throws(FileSystemError) -> Status {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure("fstat", path) }
        return Status(st)
    }

    /// Opens `path` with `flags`, retrying on `EINTR`; nil for a missing file when
    /// `missingIsNil`. The corresponding C function is `open`.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644,
                     missingIsNil: Bool = false) throws(FileSystemError) -> Int32? {
        while true {
            let fd = Glibc_open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            let code = errno
            if code == EINTR { continue }
            if missingIsNil && (code == ENOENT || code == ENOTDIR) { return nil }
            throw failure("open", path, code: code)
        }
    }

    package static func close(_ fd: Int32) { _ = Glibc_close(fd) }

    /// Reads the whole file, or nil when it does not exist. Sized by `fstat`, read in a loop.
    package static func readFile(_ path: String) throws(FileSystemError) -> [UInt8]? {
        guard let fd = try open(path, readOnly, missingIsNil: true) else { return nil }
        defer { close(fd) }
        let size = Int(try status(fd: fd, path: path).size)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc_read(fd, buffer.baseAddress! + filled, size - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if n == 0 { break }  // shrank while reading: return what is there
            filled += n
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Reads up to `count` bytes into `buffer`; 0 at end of file. The corresponding C function is `read`.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileSystemError) -> Int {
        while true {
            let n = Glibc_read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw failure("read", path)
        }
    }

    /// Writes all of `bytes`. The corresponding C function is `write`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                Glibc_write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            offset += n
        }
    }

    /// Flushes a file's data and metadata to the device. The corresponding C function is `fsync`.
    package static func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw failure("fsync", path)
        }
    }

    /// Atomically replaces `to` with `from`. The corresponding C function is `rename`.
    package static func rename(_ from: String, _ to: String) throws(FileSystemError) {
        guard Glibc_rename(from, to) == 0 else {
            throw FileSystemError(action: "rename from \(from)", path: to, code: errno)
        }
    }

    /// Like `rename`, but creates the destination's directory when it is missing (one
    /// `rename` call in the common case, instead of a `mkdir` before every write), and
    /// removes a directory standing where the file goes: inside the store a file's name is
    /// its identity, so anything else there is damage.
    package static func renameCreatingDirectory(_ from: String, _ to: String) throws(FileSystemError) {
        if Glibc_rename(from, to) == 0 { return }
        let code = errno
        switch code {
        case ENOENT:
            try makeDirectories(parentPath(to))
        case EISDIR, ENOTEMPTY, EEXIST:
            try removeTree(to)
        default:
            throw FileSystemError(action: "rename from \(from)", path: to, code: code)
        }
        try rename(from, to)
    }

    /// What is at `path` without following a final symbolic link: nil when nothing is.
    /// The corresponding C function is `lstat`.
    package static func linkStatus(_ path: String) throws(FileSystemError) -> Status? {
        var st = stat()
        if lstat(path, &st) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw failure("lstat", path, code: code)
        }
        return Status(st)
    }

    /// Removes `path` whatever it is: a file, a link, or a directory with its contents
    /// (symbolic links are removed, never followed). Returns whether something was there.
    @discardableResult
    package static func removeTree(_ path: String) throws(FileSystemError) -> Bool {
        guard let status = try linkStatus(path) else { return false }
        if status.isDirectory {
            for name in try list(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw failure("rmdir", path) }
            return true
        }
        return try remove(path)
    }

    /// Removes a file; a missing file is not an error. Returns whether something was removed.
    /// The corresponding C function is `unlink`.
    @discardableResult
    package static func remove(_ path: String) throws(FileSystemError) -> Bool {
        if unlink(path) == 0 { return true }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return false }
        throw failure("unlink", path, code: code)
    }

    /// Removes an empty directory; ignores failure (not empty, already gone).
    package static func removeEmptyDirectory(_ path: String) { _ = rmdir(path) }

    /// Creates `path` and missing parents (like `mkdir -p`). The corresponding C function is `mkdir`.
    package static func makeDirectories(_ path: String) throws(FileSystemError) {
        if mkdir(path, 0o755) == 0 { return }
        let code = errno
        if code == EEXIST {
            if try status(path)?.isDirectory == true { return }
            throw FileSystemError(action: "mkdir", path: path, code: ENOTDIR)
        }
        if code == ENOENT {
            let parent = parentPath(path)
            guard parent != path, !parent.isEmpty else { throw failure("mkdir", path, code: code) }
            try makeDirectories(parent)
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw failure("mkdir", path, code: code)
    }

    /// Creates one directory; fails with `EEXIST` when anything is at `path`.
    /// The corresponding C function is `mkdir`.
    package static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(FileSystemError) {
        guard mkdir(path, mode) == 0 else { throw failure("mkdir", path) }
    }

    /// Sets a file's access and modification times to now; false when the file is missing.
    /// The corresponding C function is `utimensat`.
    @discardableResult
    package static func touch(_ path: String) -> Bool {
        utimensat(AT_FDCWD, path, nil, 0) == 0
    }

    /// Names in a directory, without `.` and `..`; empty when the directory is missing.
    /// The corresponding C functions are `opendir` and `readdir`.
    package static func list(_ path: String) throws(FileSystemError) -> [String] {
        guard let dir = opendir(path) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return [] }
            throw failure("opendir", path, code: code)
        }
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

    /// Takes (or converts to) a shared or exclusive `flock`; returns false when `nonBlocking`
    /// and another descriptor holds a conflicting lock. The corresponding C function is `flock`.
    package static func lock(_ fd: Int32, exclusive: Bool, nonBlocking: Bool, path: String) throws(FileSystemError) -> Bool {
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (nonBlocking ? LOCK_NB : 0)
        while flock(fd, Int32(operation)) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK { return false }
            throw failure("flock", path, code: code)
        }
        return true
    }

    package static func unlock(_ fd: Int32) { _ = flock(fd, LOCK_UN) }

    package static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    package static var processID: Int32 { getpid() }
}

extension FileSystemCalls.Status {
    package init(_ st: stat) {
        #if canImport(Darwin)
        let mtime = st.st_mtimespec
        #else
        let mtime = st.st_mtim
        #endif
        size = Int64(st.st_size)
        modifiedNanoseconds = Int64(mtime.tv_sec) * 1_000_000_000 + Int64(mtime.tv_nsec)
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        isRegularFile = (st.st_mode & S_IFMT) == S_IFREG
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

// The C names shadowed by the wrapper's own `open`/`read`/`write`/`close`/`rename`.
private func Glibc_open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func Glibc_close(_ fd: Int32) -> Int32 { close(fd) }
private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func Glibc_rename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

/// A failed file system call: which call, on which path, and `errno`.
package struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    package let action: String
    package let path: String
    package let code: Int32

    package init(action: String, path: String, code: Int32) {
        self.action = action
        self.path = path
        self.code = code
    }

    /// "rename failed: No space left on device"
    package var reason: String { "\(action) failed: \(FileSystemCalls.errnoText(code))" }
    package var description: String { "\(path): \(reason)" }
}
