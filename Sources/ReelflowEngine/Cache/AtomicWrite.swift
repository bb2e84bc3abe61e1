/// Temporary files and write-then-rename, the only way the cache puts a file in place.
///
/// A temporary file is created with `O_EXCL` under a unique name
/// (`<pid>-<random>.<purpose>.tmp`) in a directory on the same file system as its
/// destination, filled, optionally `fsync`ed, then renamed over the destination. Readers see
/// the old file or the new one, never a mix; a crash leaves at worst the temporary file,
/// which `CacheStore.gc` removes once it is old.
enum AtomicWrite {
    /// Creates an empty temporary file in `directory`; returns its open descriptor and path.
    static func makeTemporaryFile(in directory: String, purpose: String) throws(CacheError) -> (fd: Int32, path: String) {
        for _ in 0..<8 {
            let name = "\(FileSystem.processID)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).\(purpose).tmp"
            let path = directory + "/" + name
            do throws(CacheError) {
                if let fd = try FileSystem.open(path, FileSystem.createExclusive, mode: 0o644) {
                    return (fd, path)
                }
            } catch where (try? FileSystem.status(path)) != nil {
                continue  // name taken (astronomically unlikely): pick another
            } catch where (try? FileSystem.status(directory)) == nil {
                try FileSystem.makeDirectories(directory)  // someone removed tmp/: recreate it
            }
        }
        throw CacheError(.io, path: directory, reason: "cannot create a unique temporary file")
    }

    /// Writes `bytes` to a temporary file in `tempDirectory` and renames it to `destination`.
    /// - Parameter durable: `fsync` the file before the rename (see `CacheStore.durable`).
    static func write(_ bytes: [UInt8], to destination: String, tempDirectory: String,
                      durable: Bool) throws(CacheError) {
        let (fd, temp) = try makeTemporaryFile(in: tempDirectory, purpose: "write")
        do throws(CacheError) {
            defer { FileSystem.close(fd) }
            try FileSystem.writeAll(fd, bytes, path: temp)
            if durable { try FileSystem.sync(fd, path: temp) }
        } catch {
            _ = try? FileSystem.remove(temp)
            throw error
        }
        do throws(CacheError) {
            try FileSystem.renameCreatingDirectory(temp, destination)
        } catch {
            _ = try? FileSystem.remove(temp)
            throw error
        }
    }
}
