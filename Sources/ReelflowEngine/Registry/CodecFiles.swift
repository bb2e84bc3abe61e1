import Foundation

/// Reading and writing codec blob files. `Data.write(to:)` in swift-foundation `fsync`s
/// files on Linux, which costs more than a trivial node; the cache decides what to sync.
public enum CodecFiles {
    /// Writes `bytes` to the (existing or new) file at `path`, replacing its contents.
    public static func write(_ bytes: some DataProtocol, to path: URLPath) throws {
        guard FileManager.default.fileExists(atPath: path) || FileManager.default.createFile(atPath: path, contents: nil)
        else { throw CodecError(message: "cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
    }

    /// The whole contents of the file at `path`.
    public static func read(_ path: URLPath) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
