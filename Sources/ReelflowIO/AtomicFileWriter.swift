import Foundation
import SystemPackage

/// What to do when an output path already exists.
public enum ExistingOutputPolicy: String, Sendable, CaseIterable {
    /// Replace the file (atomically: readers see the old or the new file, never a mix).
    case overwrite
    /// Keep the old file and write `name_00001.ext`, `name_00002.ext`, ... (ComfyUI style).
    case number
    /// Refuse with an error.
    case refuse
}

/// Errors from writing an output file.
public struct OutputFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
}

/// Writes output files atomically: the body writes a temporary file beside the destination,
/// which is put in place only when the body succeeds.
///
/// Choosing the name and creating the file are one step, so concurrent writers (several
/// runs saving to the same path) never overwrite each other's results silently:
/// - `.overwrite` renames the temporary file over the destination;
/// - `.refuse` hard-links it to the destination, which fails if anything is there;
/// - `.number` hard-links it to the destination, then to `name_00001.ext`, `name_00002.ext`,
///   ..., taking the first name nobody holds.
/// Where the file system has no hard links, the name is reserved by creating it with
/// `O_EXCL` and the temporary file is renamed over the reservation.
///
/// Outputs are only ever regular files: a directory, FIFO, device node or symbolic link at
/// the destination is refused under every policy, and a path ending in `/` is refused.
/// Temporary files are registered with `TemporaryOutputFiles` while they exist, so a
/// signal handler can remove them; each write first removes temporary files in its folder
/// left by processes that no longer exist (after `kill -9` or a power loss).
public enum AtomicFileWriter {
    /// Runs `body` with a temporary path in the destination's directory, then puts the file
    /// in place under `policy` (see the type's description). On any error the temporary file
    /// is removed and no existing file is touched.
    /// - Returns: the path written (differs from `url` under `.number`).
    @discardableResult
    public static func write(
        to url: URL, policy: ExistingOutputPolicy = .overwrite, _ body: (URL) throws -> Void
    ) throws -> URL {
        if url.path.hasSuffix("/") || url.hasDirectoryPath && url.path != "/" && url.relativeString.hasSuffix("/") {
            throw OutputFileError(path: url.path, reason: "the path ends in '/'; an output must be a file name")
        }
        let final = url.standardizedFileURL
        let dir = final.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw OutputFileError(path: final.path, reason: "the directory \(dir.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir.path) else {
            throw OutputFileError(path: final.path, reason: "the directory \(dir.path) is not writable")
        }
        // Refuse early (before the body's work) what no policy may replace or reuse.
        if let status = OutputPaths.linkStatus(final.path), status != .regular {
            throw OutputPaths.notRegular(final.path, status)
        }
        if policy == .refuse, OutputPaths.linkStatus(final.path) != nil {
            throw OutputFileError(path: final.path, reason: "the file exists (set overwrite to replace it)")
        }
        TemporaryOutputFiles.removeStale(in: dir.path)
        let tmp = dir.appendingPathComponent(TemporaryOutputFiles.name(for: final.lastPathComponent))
        TemporaryOutputFiles.register(tmp.path)
        defer {
            _ = try? FileSystemCalls.remove(tmp.path)
            TemporaryOutputFiles.unregister(tmp.path)
        }
        try body(tmp)
        switch policy {
        case .overwrite:
            if let status = OutputPaths.linkStatus(final.path), status != .regular {
                throw OutputPaths.notRegular(final.path, status)
            }
            do { try FileSystemCalls.rename(tmp.path, final.path) } catch {
                throw OutputFileError(path: final.path, reason: "rename failed: \(FileSystemCalls.errnoText(error.code))")
            }
            return final
        case .refuse:
            if try OutputPaths.place(tmp.path, at: final.path) { return final }
            throw OutputFileError(path: final.path, reason: "the file exists (set overwrite to replace it)")
        case .number:
            if try OutputPaths.place(tmp.path, at: final.path) { return final }
            for candidate in OutputPaths.numbered(final) where try OutputPaths.place(tmp.path, at: candidate.path) {
                return candidate
            }
            throw OutputFileError(path: final.path, reason: "no free numbered name left")
        }
    }

    /// Like `write(to:policy:_:)` for an output that is a directory of files (a PNG
    /// sequence): `body` fills a temporary directory beside the destination, which then takes
    /// its name in one step, so the directory appears complete or not at all:
    /// - `.refuse` and `.number` reserve the name with `mkdir` (which fails when anything holds
    ///   it, so concurrent writers never share a name) and rename the finished directory over
    ///   the empty reservation; `.number` tries `name_00001`, `name_00002`, ... in turn;
    /// - `.overwrite` moves an existing directory aside, renames the new one in, then removes
    ///   the old one.
    /// - Returns: the directory written (differs from `url` under `.number`).
    @discardableResult
    public static func writeDirectory(
        to url: URL, policy: ExistingOutputPolicy = .overwrite, _ body: (URL) throws -> Void
    ) throws -> URL {
        let final = url.standardizedFileURL
        let dir = final.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw OutputFileError(path: final.path, reason: "the directory \(dir.path) does not exist")
        }
        if policy == .refuse, OutputPaths.linkStatus(final.path) != nil {
            throw OutputFileError(path: final.path, reason: "the file exists (set overwrite to replace it)")
        }
        TemporaryOutputFiles.removeStale(in: dir.path)
        let tmp = dir.appendingPathComponent(TemporaryOutputFiles.name(for: final.lastPathComponent))
        do { try FileSystemCalls.makeDirectory(tmp.path) } catch {
            throw OutputFileError(path: final.path, reason: "cannot create the directory: \(error.reason)")
        }
        TemporaryOutputFiles.register(tmp.path)
        defer {
            _ = try? FileSystemCalls.removeTree(tmp.path)
            TemporaryOutputFiles.unregister(tmp.path)
        }
        try body(tmp)
        switch policy {
        case .overwrite:
            var old: String? = nil
            if OutputPaths.linkStatus(final.path) != nil {
                let aside = dir.appendingPathComponent(TemporaryOutputFiles.name(for: final.lastPathComponent)).path
                do { try FileSystemCalls.rename(final.path, aside) } catch { throw OutputFileError(path: final.path, reason: error.reason) }
                old = aside
            }
            do { try FileSystemCalls.rename(tmp.path, final.path) } catch { throw OutputFileError(path: final.path, reason: error.reason) }
            if let old { _ = try? FileSystemCalls.removeTree(old) }
            return final
        case .refuse:
            if try OutputPaths.placeDirectory(tmp.path, at: final.path) { return final }
            throw OutputFileError(path: final.path, reason: "the file exists (set overwrite to replace it)")
        case .number:
            if try OutputPaths.placeDirectory(tmp.path, at: final.path) { return final }
            for candidate in OutputPaths.numbered(final) where try OutputPaths.placeDirectory(tmp.path, at: candidate.path) {
                return candidate
            }
            throw OutputFileError(path: final.path, reason: "no free numbered name left")
        }
    }
}

/// Name and placement helpers for output files.
enum OutputPaths {
    enum Kind: Equatable { case regular, directory, symbolicLink, other }

    /// What is at `path` without following a final symbolic link; nil when nothing is.
    /// The corresponding C function is `lstat`.
    static func linkStatus(_ path: String) -> Kind? {
        guard let status = (try? FileSystemCalls.linkStatus(path)) ?? nil else { return nil }
        if status.isRegularFile { return .regular }
        if status.isDirectory { return .directory }
        if status.isSymbolicLink { return .symbolicLink }
        return .other
    }

    static func notRegular(_ path: String, _ kind: Kind) -> OutputFileError {
        let what = switch kind {
        case .directory: "a directory"
        case .symbolicLink: "a symbolic link"
        default: "a special file (FIFO, device or socket)"
        }
        return OutputFileError(path: path, reason: "\(what) is there; outputs are only written as regular files")
    }

    /// `name_00001.ext` ... `name_99999.ext` beside `url`.
    static func numbered(_ url: URL) -> some Sequence<URL> {
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let dir = url.deletingLastPathComponent()
        return (1...99_999).lazy.map { n in
            dir.appendingPathComponent(String(format: "%@_%05d", stem, n) + (ext.isEmpty ? "" : ".\(ext)"))
        }
    }

    /// Gives the finished temporary directory the name `path` if nothing holds it: `mkdir`
    /// reserves the name (atomically), then the directory is renamed over the empty
    /// reservation. Returns false when the name is taken.
    static func placeDirectory(_ temporary: String, at path: String) throws -> Bool {
        do { try FileSystemCalls.makeDirectory(path) } catch where error.code == Errno.fileExists.rawValue {
            return false
        } catch {
            throw OutputFileError(path: path, reason: error.reason)
        }
        do { try FileSystemCalls.rename(temporary, path) } catch {
            FileSystemCalls.removeEmptyDirectory(path)
            throw OutputFileError(path: path, reason: error.reason)
        }
        return true
    }

    /// Gives the finished temporary file the name `path` if nothing holds it, atomically:
    /// `link(2)`, or where the file system has no hard links an `O_EXCL` reservation that the
    /// temporary file is renamed over. Returns false when the name is taken.
    static func place(_ temporary: String, at path: String) throws -> Bool {
        do { try FileSystemCalls.link(temporary, path); return true } catch {
            let code = Errno(rawValue: error.code)
            if code == .fileExists { return false }
            guard code == .notPermitted || code == .notSupported || code == .notSupportedOnSocket
                    || code == .improperLink || code == .tooManyLinks else {
                throw OutputFileError(path: path, reason: error.reason)
            }
        }
        do {
            guard let fd = try FileSystemCalls.open(path, FileSystemCalls.createExclusive) else { return false }
            FileSystemCalls.close(fd)
        } catch {
            if error.code == Errno.fileExists.rawValue { return false }
            throw OutputFileError(path: path, reason: "create failed: \(FileSystemCalls.errnoText(error.code))")
        }
        do { try FileSystemCalls.rename(temporary, path) } catch {
            _ = try? FileSystemCalls.remove(path)
            throw OutputFileError(path: path, reason: "rename failed: \(FileSystemCalls.errnoText(error.code))")
        }
        return true
    }
}
