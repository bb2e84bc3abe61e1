import Synchronization

/// A held `flock` on `<cache root>/lock`.
///
/// Runs hold a **shared** lock for as long as they may read or write the cache; `gc` and
/// `clear` take an **exclusive** one, so they never delete a blob that a running graph has
/// just looked up or written but not yet committed. Any number of runs share the cache at
/// once. `flock` belongs to the open file description, so two `CacheLock`s in one process
/// exclude each other exactly as two processes would; the kernel drops the lock if the
/// process dies. (`flock` is advisory and not reliable over NFS: keep the cache local.)
///
/// The lock is released by `release()` or when the object is deallocated.
public final class CacheLock: Sendable {
    public enum Mode: String, Sendable {
        case shared
        case exclusive
    }

    public let mode: Mode
    /// The open descriptor of the lock file; nil once released.
    private let descriptor: Mutex<Int32?>

    /// Opens `path` (creating it) and locks it.
    /// - Parameter wait: block until the lock is granted; otherwise throw `.busy` at once.
    init(path: String, mode: Mode, wait: Bool) throws(CacheError) {
        self.mode = mode
        guard let fd = try FileSystem.open(path, FileSystem.readWriteCreate) else {
            throw CacheError(.io, path: path, reason: "cannot open the lock file")
        }
        let granted: Bool
        do throws(CacheError) {
            granted = try FileSystem.lock(fd, exclusive: mode == .exclusive, nonBlocking: !wait, path: path)
        } catch {
            FileSystem.close(fd)
            throw error
        }
        guard granted else {
            FileSystem.close(fd)
            throw CacheError(.busy, path: path, reason: mode == .exclusive
                ? "the cache is in use by a running reelflow; try again when it has finished"
                : "the cache is being cleaned (gc or clear); try again shortly")
        }
        descriptor = Mutex(fd)
    }

    /// Whether the lock is still held.
    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    /// Releases the lock (idempotent).
    public func release() {
        let fd = descriptor.withLock { fd -> Int32? in
            defer { fd = nil }
            return fd
        }
        if let fd {
            FileSystem.unlock(fd)
            FileSystem.close(fd)
        }
    }

    deinit { release() }
}

extension CacheStore {
    /// Takes the cache lock. A run takes `.shared` for its whole duration (reads, writes,
    /// commits); `gc` and `clear` take `.exclusive` themselves. Do not call `gc`, `clear` or
    /// `enforceLimit` while holding a shared lock from the same store: release it first.
    /// - Parameter wait: block until granted (a shared lock waits at most for one gc or
    ///   clear); with `false`, throw `.busy` when another holder conflicts.
    public func acquireLock(_ mode: CacheLock.Mode, wait: Bool = true) throws(CacheError) -> CacheLock {
        try CacheLock(path: lockPath, mode: mode, wait: wait)
    }

    /// Runs `body` while holding a shared lock.
    public func withSharedLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try acquireLock(.shared)
        defer { lock.release() }
        return try body()
    }

    /// Runs async `body` while holding a shared lock (taking it may block the calling thread
    /// briefly while a gc or clear finishes).
    public func withSharedLock<T>(_ body: () async throws -> T) async throws -> T {
        let lock = try acquireLock(.shared)
        defer { lock.release() }
        return try await body()
    }
}
