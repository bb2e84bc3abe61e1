import SystemPackage

/// The file system calls the cache, the output writers and the safetensors writer make, in
/// one place: paths in as `String`, results out as Swift values, failures as
/// `FileSystemError` carrying the call, the path and `errno`. Package-internal: the engine
/// maps the errors to `CacheError`, the output writers to `OutputFileError`.
///
/// Built on swift-system (`FileDescriptor` for open, read, write and close, `Stat` for stat,
/// fstat and lstat, `Errno`); what it lacks (fsync, rename, link, unlink, mkdir, rmdir,
/// directory listing, flock, utimensat) is in `SystemCallsMissing.swift`.
package enum FileSystemCalls {
    /// The parts of `stat(2)` the cache uses.
    package struct Status: Sendable, Equatable {
        package var size: Int64
        /// Modification time in nanoseconds since 1970.
        package var modifiedNanoseconds: Int64
        package var isDirectory: Bool
        package var isRegularFile: Bool
        package var isSymbolicLink: Bool
        package var device: UInt64
        package var inode: UInt64
    }

    /// How to open a file.
    package struct OpenMode: Sendable {
        var access: FileDescriptor.AccessMode
        var options: FileDescriptor.OpenOptions
    }

    package static let readOnly = OpenMode(access: .readOnly, options: [.closeOnExec])
    package static let readWriteCreate = OpenMode(access: .readWrite, options: [.create, .closeOnExec])
    /// Creates the file, failing with `EEXIST` when anything is at the path.
    package static let createExclusive = OpenMode(access: .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec])

    package static func errnoText(_ code: Int32) -> String { Errno(rawValue: code).description }

    package static func failure(_ action: String, _ path: String, _ error: Errno) -> FileSystemError {
        FileSystemError(action: action, path: path, code: error.rawValue)
    }

    /// `stat` of `path`, or nil when nothing is there. The corresponding C function is `stat`.
    package static func status(_ path: String) throws(FileSystemError) -> Status? {
        try pathStatus(path, followingLinks: true)
    }

    /// What is at `path` without following a final symbolic link: nil when nothing is.
    /// The corresponding C function is `lstat`.
    package static func linkStatus(_ path: String) throws(FileSystemError) -> Status? {
        try pathStatus(path, followingLinks: false)
    }

    private static func pathStatus(_ path: String, followingLinks: Bool) throws(FileSystemError) -> Status? {
        let result: Result<Stat, Errno> = path.withCString { cPath in
            do throws(Errno) { return .success(try Stat(cPath, followTargetSymlink: followingLinks)) } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let st): return Status(st)
        case .failure(let error) where error == .noSuchFileOrDirectory || error == .notDirectory: return nil
        case .failure(let error): throw failure(followingLinks ? "stat" : "lstat", path, error)
        }
    }

    /// `fstat` of an open descriptor. The corresponding C function is `fstat`.
    package static func status(fd: Int32, path: String) throws(FileSystemError) -> Status {
        do throws(Errno) { return Status(try FileDescriptor(rawValue: fd).stat()) } catch {
            throw failure("fstat", path, error)
        }
    }

    /// Opens `path`, retrying on `EINTR`; nil for a missing file when `missingIsNil`.
    /// New files get mode 0644. The corresponding C function is `open`.
    package static func open(_ path: String, _ mode: OpenMode, missingIsNil: Bool = false) throws(FileSystemError) -> Int32? {
        do {
            let fd = try path.withCString { cPath in
                try FileDescriptor.open(cPath, mode.access, options: mode.options,
                                        permissions: mode.options.contains(.create) ? [.ownerReadWrite, .groupRead, .otherRead] : nil)
            }
            return fd.rawValue
        } catch let error as Errno {
            if missingIsNil && (error == .noSuchFileOrDirectory || error == .notDirectory) { return nil }
            throw failure("open", path, error)
        } catch {
            throw FileSystemError(action: "open", path: path, code: Errno.ioError.rawValue)
        }
    }

    package static func close(_ fd: Int32) { try? FileDescriptor(rawValue: fd).close() }

    /// Reads the whole file, or nil when it does not exist. Sized by `fstat`, read in a loop.
    package static func readFile(_ path: String) throws(FileSystemError) -> [UInt8]? {
        guard let fd = try open(path, readOnly, missingIsNil: true) else { return nil }
        defer { close(fd) }
        let size = Int(try status(fd: fd, path: path).size)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = try bytes.withUnsafeMutableBytes { buffer -> Result<Int, FileSystemError> in
                do throws(FileSystemError) {
                    return .success(try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path))
                } catch { return .failure(error) }
            }.get()
            if n == 0 { break }  // shrank while reading: return what is there
            filled += n
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file. Retries on `EINTR`.
    /// The corresponding C function is `read`.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(FileSystemError) -> Int {
        do { return try FileDescriptor(rawValue: fd).read(into: buffer) } catch {
            throw failure("read", path, error as? Errno ?? .ioError)
        }
    }

    /// Writes all of `bytes`, retrying on `EINTR`. The corresponding C function is `write`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        do { _ = try FileDescriptor(rawValue: fd).writeAll(bytes) } catch {
            throw failure("write", path, error as? Errno ?? .ioError)
        }
    }

    /// Flushes a file's data and metadata to the device. The corresponding C function is `fsync`.
    package static func sync(_ fd: Int32, path: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.fsync(FileDescriptor(rawValue: fd)) } catch {
            throw failure("fsync", path, error)
        }
    }

    /// Atomically replaces `to` with `from`. The corresponding C function is `rename`.
    package static func rename(_ from: String, _ to: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.rename(from, to) } catch {
            throw failure("rename from \(from)", to, error)
        }
    }

    /// Gives the file at `existing` the further name `new`; fails with `EEXIST` when anything
    /// holds `new`. The corresponding C function is `link`.
    package static func link(_ existing: String, _ new: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.link(existing, new) } catch {
            throw failure("link", new, error)
        }
    }

    /// Like `rename`, but creates the destination's directory when it is missing (one
    /// `rename` call in the common case, instead of a `mkdir` before every write), and
    /// removes a directory standing where the file goes: inside the cache a file's name is
    /// its identity, so anything else there is damage.
    package static func renameCreatingDirectory(_ from: String, _ to: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.rename(from, to); return } catch {
            switch error {
            case .noSuchFileOrDirectory: try makeDirectories(parentPath(to))
            case .isDirectory, .directoryNotEmpty, .fileExists: try removeTree(to)
            default: throw failure("rename from \(from)", to, error)
            }
        }
        try rename(from, to)
    }

    /// Removes `path` whatever it is: a file, a link, or a directory with its contents
    /// (symbolic links are removed, never followed). Returns whether something was there.
    @discardableResult
    package static func removeTree(_ path: String) throws(FileSystemError) -> Bool {
        guard let status = try linkStatus(path) else { return false }
        if status.isDirectory {
            for name in try list(path) { try removeTree(path + "/" + name) }
            do throws(Errno) { try SystemCallsMissing.rmdir(path) } catch where error != .noSuchFileOrDirectory {
                throw failure("rmdir", path, error)
            } catch {}
            return true
        }
        return try remove(path)
    }

    /// Removes a file; a missing file is not an error. Returns whether something was removed.
    /// The corresponding C function is `unlink`.
    @discardableResult
    package static func remove(_ path: String) throws(FileSystemError) -> Bool {
        do throws(Errno) { try SystemCallsMissing.unlink(path); return true } catch {
            if error == .noSuchFileOrDirectory || error == .notDirectory { return false }
            throw failure("unlink", path, error)
        }
    }

    /// Removes an empty directory; ignores failure (not empty, already gone).
    package static func removeEmptyDirectory(_ path: String) { try? SystemCallsMissing.rmdir(path) }

    /// Creates one directory; fails with `EEXIST` when anything is at `path`.
    /// The corresponding C function is `mkdir`.
    package static func makeDirectory(_ path: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.mkdir(path, permissions: directoryPermissions) } catch {
            throw failure("mkdir", path, error)
        }
    }

    /// Creates `path` and missing parents (like `mkdir -p`). The corresponding C function is `mkdir`.
    package static func makeDirectories(_ path: String) throws(FileSystemError) {
        do throws(Errno) { try SystemCallsMissing.mkdir(path, permissions: directoryPermissions); return } catch {
            switch error {
            case .fileExists:
                if try status(path)?.isDirectory == true { return }
                throw failure("mkdir", path, .notDirectory)
            case .noSuchFileOrDirectory:
                let parent = parentPath(path)
                guard parent != path, !parent.isEmpty else { throw failure("mkdir", path, error) }
                try makeDirectories(parent)
                do throws(Errno) { try SystemCallsMissing.mkdir(path, permissions: directoryPermissions) } catch where error == .fileExists {
                } catch {
                    throw failure("mkdir", path, error)
                }
            default:
                throw failure("mkdir", path, error)
            }
        }
    }

    private static let directoryPermissions: FilePermissions = [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute]

    /// Sets a file's access and modification times to now; false when the file is missing.
    /// The corresponding C function is `utimensat`.
    @discardableResult
    package static func touch(_ path: String) -> Bool { (try? SystemCallsMissing.touch(path)) != nil }

    /// Names in a directory, without `.` and `..`; empty when the directory is missing.
    package static func list(_ path: String) throws(FileSystemError) -> [String] {
        do throws(Errno) { return try SystemCallsMissing.directoryEntries(path) } catch {
            if error == .noSuchFileOrDirectory || error == .notDirectory { return [] }
            throw failure("opendir", path, error)
        }
    }

    /// Takes (or converts to) a shared or exclusive `flock`; returns false when `nonBlocking`
    /// and another descriptor holds a conflicting lock. The corresponding C function is `flock`.
    package static func lock(_ fd: Int32, exclusive: Bool, nonBlocking: Bool, path: String) throws(FileSystemError) -> Bool {
        do throws(Errno) {
            return try SystemCallsMissing.flock(FileDescriptor(rawValue: fd), exclusive: exclusive, nonBlocking: nonBlocking)
        } catch {
            throw failure("flock", path, error)
        }
    }

    package static func unlock(_ fd: Int32) { SystemCallsMissing.unlock(FileDescriptor(rawValue: fd)) }

    package static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    package static var processID: Int32 { SystemCallsMissing.processID }
}

extension FileSystemCalls.Status {
    init(_ st: Stat) {
        size = st.size
        modifiedNanoseconds = SystemCallsMissing.modifiedNanoseconds(st)
        isDirectory = st.type == .directory
        isRegularFile = st.type == .regular
        isSymbolicLink = st.type == .symbolicLink
        device = UInt64(st.deviceID.rawValue)
        inode = UInt64(st.inode.rawValue)
    }
}

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
