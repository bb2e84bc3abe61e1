import ReelflowIO

/// The cache's file system calls: ReelflowIO's `FileSystemCalls` and `AtomicFile`, with
/// failures as `CacheError` (kind `.io`, the path, "call failed: reason"). Nothing here is
/// public; no other file of the engine makes a C file-system call.
enum FileSystem {
    typealias Status = FileSystemCalls.Status

    static let readOnly = FileSystemCalls.readOnly
    static let readWriteCreate = FileSystemCalls.readWriteCreate

    static func status(_ path: String) throws(CacheError) -> Status? { try io { () throws(FileSystemError) in try FileSystemCalls.status(path) } }
    static func status(fd: Int32, path: String) throws(CacheError) -> Status { try io { () throws(FileSystemError) in try FileSystemCalls.status(fd: fd, path: path) } }
    static func linkStatus(_ path: String) throws(CacheError) -> Status? { try io { () throws(FileSystemError) in try FileSystemCalls.linkStatus(path) } }
    static func open(_ path: String, _ mode: FileSystemCalls.OpenMode, missingIsNil: Bool = false) throws(CacheError) -> Int32? {
        try io { () throws(FileSystemError) in try FileSystemCalls.open(path, mode, missingIsNil: missingIsNil) }
    }
    static func close(_ fd: Int32) { FileSystemCalls.close(fd) }
    static func readFile(_ path: String) throws(CacheError) -> [UInt8]? { try io { () throws(FileSystemError) in try FileSystemCalls.readFile(path) } }
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(CacheError) -> Int {
        try io { () throws(FileSystemError) in try FileSystemCalls.read(fd, into: buffer, path: path) }
    }
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(CacheError) {
        try io { () throws(FileSystemError) in try FileSystemCalls.writeAll(fd, bytes, path: path) }
    }
    static func sync(_ fd: Int32, path: String) throws(CacheError) { try io { () throws(FileSystemError) in try FileSystemCalls.sync(fd, path: path) } }
    static func renameCreatingDirectory(_ from: String, _ to: String) throws(CacheError) {
        try io { () throws(FileSystemError) in try FileSystemCalls.renameCreatingDirectory(from, to) }
    }
    @discardableResult
    static func removeTree(_ path: String) throws(CacheError) -> Bool { try io { () throws(FileSystemError) in try FileSystemCalls.removeTree(path) } }
    @discardableResult
    static func remove(_ path: String) throws(CacheError) -> Bool { try io { () throws(FileSystemError) in try FileSystemCalls.remove(path) } }
    static func removeEmptyDirectory(_ path: String) { FileSystemCalls.removeEmptyDirectory(path) }
    static func makeDirectories(_ path: String) throws(CacheError) { try io { () throws(FileSystemError) in try FileSystemCalls.makeDirectories(path) } }
    @discardableResult
    static func touch(_ path: String) -> Bool { FileSystemCalls.touch(path) }
    static func list(_ path: String) throws(CacheError) -> [String] { try io { () throws(FileSystemError) in try FileSystemCalls.list(path) } }
    static func lock(_ fd: Int32, exclusive: Bool, nonBlocking: Bool, path: String) throws(CacheError) -> Bool {
        try io { () throws(FileSystemError) in try FileSystemCalls.lock(fd, exclusive: exclusive, nonBlocking: nonBlocking, path: path) }
    }
    static func unlock(_ fd: Int32) { FileSystemCalls.unlock(fd) }
    static func parentPath(_ path: String) -> String { FileSystemCalls.parentPath(path) }
    static var processID: Int32 { FileSystemCalls.processID }

    /// Write-then-rename through a temporary file in `tempDirectory` (`AtomicFile.write`).
    static func writeAtomically(_ bytes: [UInt8], to destination: String, tempDirectory: String,
                                durable: Bool) throws(CacheError) {
        try io { () throws(FileSystemError) in
            try AtomicFile.write(bytes, to: destination, tempDirectory: tempDirectory, durable: durable)
        }
    }

    /// An empty `O_EXCL` temporary file in `directory` (`AtomicFile.makeTemporaryFile`).
    static func makeTemporaryFile(in directory: String, purpose: String) throws(CacheError) -> (fd: Int32, path: String) {
        try io { () throws(FileSystemError) in try AtomicFile.makeTemporaryFile(in: directory, purpose: purpose) }
    }

    private static func io<T>(_ body: () throws(FileSystemError) -> T) throws(CacheError) -> T {
        do { return try body() } catch { throw CacheError(.io, path: error.path, reason: error.reason) }
    }
}
