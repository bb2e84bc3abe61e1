import SystemPackage

/// Write-then-rename with the temporary file in a directory of the caller's choosing: how
/// the cache puts every file in place (manifests, blobs, run records, the fingerprint memo).
/// `AtomicFileWriter` is the same idea for output files, with the existing-output policy.
///
/// A temporary file is created with `O_EXCL` under a unique name
/// (`<pid>-<random>.<purpose>.tmp`) in a directory on the same file system as its
/// destination, filled, optionally `fsync`ed, then renamed over the destination. Readers see
/// the old file or the new one, never a mix; a crash leaves at worst the temporary file,
/// which its owner removes once it is old (the cache's `gc`).
package enum AtomicFile {
    /// Creates an empty temporary file in `directory` (recreated when missing); returns its
    /// open descriptor and path.
    package static func makeTemporaryFile(in directory: String, purpose: String) throws(FileSystemError) -> (fd: Int32, path: String) {
        for _ in 0..<8 {
            let name = "\(FileSystemCalls.processID)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).\(purpose).tmp"
            let path = directory + "/" + name
            do throws(FileSystemError) {
                if let fd = try FileSystemCalls.open(path, FileSystemCalls.createExclusive) {
                    return (fd, path)
                }
            } catch where (try? FileSystemCalls.status(path)) != nil {
                continue  // name taken (astronomically unlikely): pick another
            } catch where (try? FileSystemCalls.status(directory)) == nil {
                try FileSystemCalls.makeDirectories(directory)  // someone removed it: recreate it
            }
        }
        throw FileSystemError(action: "create a unique temporary file", path: directory, code: Errno.fileExists.rawValue)
    }

    /// Writes `bytes` to a temporary file in `tempDirectory` and renames it to `destination`,
    /// creating the destination's directory when missing and removing a directory standing
    /// where the file goes (`FileSystemCalls.renameCreatingDirectory`).
    /// - Parameter durable: `fsync` the file before the rename.
    package static func write(_ bytes: [UInt8], to destination: String, tempDirectory: String,
                              durable: Bool) throws(FileSystemError) {
        let (fd, temp) = try makeTemporaryFile(in: tempDirectory, purpose: "write")
        do throws(FileSystemError) {
            defer { FileSystemCalls.close(fd) }
            try FileSystemCalls.writeAll(fd, bytes, path: temp)
            if durable { try FileSystemCalls.sync(fd, path: temp) }
        } catch {
            _ = try? FileSystemCalls.remove(temp)
            throw error
        }
        do throws(FileSystemError) {
            try FileSystemCalls.renameCreatingDirectory(temp, destination)
        } catch {
            _ = try? FileSystemCalls.remove(temp)
            throw error
        }
    }
}
