import Foundation
import ReelflowIO

extension CacheStore {
    /// Stores `data` as a blob and returns its reference. Storing bytes that are already
    /// there replaces the old file with the fresh copy (same name, same bytes), which also
    /// repairs a blob that was damaged on disk.
    /// - Throws: `CacheError` when the temporary file cannot be written or renamed.
    @discardableResult
    public func putBlob(data: some DataProtocol) throws(CacheError) -> BlobRef {
        let bytes = Array(data)
        let ref = BlobRef(digest: Digest.of(data: bytes), size: Int64(bytes.count))
        try FileSystem.writeAtomically(bytes, to: blobPath(ref.digest), tempDirectory: tmpPath, durable: durable)
        return ref
    }

    /// Stores a blob written by `body` into the temporary file at the URL it is given (an
    /// empty file already exists there; replace or overwrite it). When `body` returns, the
    /// file is hashed, synced and renamed into `cas/`; if `body` throws, the temporary file
    /// is removed and nothing enters the store.
    /// - Throws: whatever `body` throws, or `CacheError` if the file is missing afterwards or
    ///   cannot be hashed or moved.
    @discardableResult
    public func putBlob(writing body: (URL) throws -> Void) throws -> BlobRef {
        let (fd, temp) = try FileSystem.makeTemporaryFile(in: tmpPath, purpose: "blob")
        FileSystem.close(fd)
        do {
            try body(URL(fileURLWithPath: temp))
            return try moveIntoStore(temp)
        } catch {
            _ = try? FileSystem.remove(temp)
            throw error
        }
    }

    /// Where the blob named `digest` lives (whether or not it exists). Reading it directly is
    /// fast but trusts the bytes; use `verifiedBlobURL(_:)` or `readBlob(_:)` to check them.
    public func blobURL(_ digest: Digest) -> URL { URL(fileURLWithPath: blobPath(digest)) }

    /// The blob's location after checking its size and re-hashing its contents (streamed).
    /// - Throws: `CacheError` of kind `.damaged` when it is missing, truncated or altered; an
    ///   altered blob is deleted so no later reader trusts it.
    public func verifiedBlobURL(_ blob: BlobRef) throws(CacheError) -> URL {
        if let problem = blobProblem(blob, verifyContents: true) {
            throw CacheError(.damaged, path: blobPath(blob.digest), reason: problem)
        }
        return blobURL(blob.digest)
    }

    /// Reads a blob into memory and checks its size and digest.
    /// - Throws: `CacheError` of kind `.damaged` when it is missing, truncated or altered
    ///   (an altered blob is deleted).
    public func readBlob(_ blob: BlobRef) throws(CacheError) -> Data {
        let path = blobPath(blob.digest)
        guard let bytes = try FileSystem.readFile(path) else {
            throw CacheError(.damaged, path: path, reason: "the blob is missing")
        }
        guard Int64(bytes.count) == blob.size else {
            throw CacheError(.damaged, path: path, reason: "the blob has \(bytes.count) bytes, expected \(blob.size)")
        }
        guard Digest.of(data: bytes) == blob.digest else {
            _ = try? FileSystem.remove(path)
            throw CacheError(.damaged, path: path, reason: "the blob's contents do not match its digest (removed it)")
        }
        return Data(bytes)
    }

    /// Whether a blob with this digest is present (size and contents not checked).
    public func containsBlob(_ digest: Digest) -> Bool {
        (try? FileSystem.status(blobPath(digest)))??.isRegularFile == true
    }

    /// Nil when the blob is present with the right size (and, if asked, the right digest);
    /// otherwise what is wrong, naming the file.
    func blobProblem(_ blob: BlobRef, verifyContents: Bool) -> String? {
        let path = blobPath(blob.digest)
        let status: FileSystem.Status?
        do throws(CacheError) { status = try FileSystem.status(path) } catch { return "\(path): \(error.reason)" }
        guard let status, status.isRegularFile else { return "blob \(path) is missing" }
        guard status.size == blob.size else {
            return "blob \(path) has \(status.size) bytes, expected \(blob.size)"
        }
        guard verifyContents else { return nil }
        do throws(CacheError) {
            let (digest, _) = try Digest.ofFile(path: path)
            guard digest == blob.digest else {
                _ = try? FileSystem.remove(path)
                return "blob \(path) has contents with digest \(digest.short), not its name (removed it)"
            }
        } catch {
            return "blob \(path): \(error.reason)"
        }
        return nil
    }

    /// Hashes a finished temporary file, syncs it and renames it to its content address.
    private func moveIntoStore(_ temp: String) throws(CacheError) -> BlobRef {
        guard let fd = try FileSystem.open(temp, FileSystem.readOnly, missingIsNil: true) else {
            throw CacheError(.invalidRequest, path: temp, reason: "the blob writer removed its temporary file")
        }
        let hashed: (digest: Digest, size: Int64)
        do {
            defer { FileSystem.close(fd) }
            guard try FileSystem.status(fd: fd, path: temp).isRegularFile else {
                throw CacheError(.invalidRequest, path: temp, reason: "the blob writer left something other than a file")
            }
            hashed = try Digest.ofOpenFile(fd, path: temp)
            if durable { try FileSystem.sync(fd, path: temp) }
        }
        try FileSystem.renameCreatingDirectory(temp, blobPath(hashed.digest))
        return BlobRef(digest: hashed.digest, size: hashed.size)
    }
}
