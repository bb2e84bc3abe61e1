import Foundation

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

/// Writes files atomically: the body writes a temporary file beside the destination,
/// which is renamed over the destination only when the body succeeds.
public enum AtomicFileWriter {
    /// Chooses the final path for `url` under `policy`.
    public static func destination(for url: URL, policy: ExistingOutputPolicy) throws -> URL {
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path) else { return url }
        switch policy {
        case .overwrite: return url
        case .refuse:
            throw OutputFileError(path: url.path, reason: "the file exists (set overwrite to replace it)")
        case .number:
            let ext = url.pathExtension
            let stem = url.deletingPathExtension().lastPathComponent
            let dir = url.deletingLastPathComponent()
            for n in 1...99_999 {
                let name = String(format: "%@_%05d", stem, n) + (ext.isEmpty ? "" : ".\(ext)")
                let candidate = dir.appendingPathComponent(name)
                if !fm.fileExists(atPath: candidate.path) { return candidate }
            }
            throw OutputFileError(path: url.path, reason: "no free numbered name left")
        }
    }

    /// Runs `body` with a temporary path in the destination's directory, then renames it
    /// into place. On any error the temporary file is removed and the destination is untouched.
    /// - Returns: the path written (differs from `url` under `.number`).
    @discardableResult
    public static func write(
        to url: URL, policy: ExistingOutputPolicy = .overwrite, _ body: (URL) throws -> Void
    ) throws -> URL {
        let final = try destination(for: url, policy: policy)
        let dir = final.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw OutputFileError(path: final.path, reason: "the directory \(dir.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir.path) else {
            throw OutputFileError(path: final.path, reason: "the directory \(dir.path) is not writable")
        }
        let tmp = dir.appendingPathComponent(
            ".\(final.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
                + (final.pathExtension.isEmpty ? "" : ".\(final.pathExtension)"))
        do {
            try body(tmp)
            if rename(tmp.path, final.path) != 0 {
                let err = String(cString: strerror(errno))
                throw OutputFileError(path: final.path, reason: "rename failed: \(err)")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        return final
    }
}
