import Foundation
import Synchronization

/// The temporary files output writers have in flight, so that they can be removed when the
/// process is told to stop, and those of processes that died can be found later.
///
/// A temporary output file is named `.<final name>.tmp-<pid>-<random>[.<ext>]` and sits
/// beside its destination (so the final rename or link stays on one file system).
public enum TemporaryOutputFiles {
    private static let live = Mutex<Set<String>>([])

    /// The temporary name for an output called `finalName`, owned by this process.
    static func name(for finalName: String) -> String {
        let ext = (finalName as NSString).pathExtension
        return ".\(finalName).tmp-\(FileSystemCalls.processID)-\(UInt32.random(in: 0...UInt32.max))" + (ext.isEmpty ? "" : ".\(ext)")
    }

    static func register(_ path: String) { _ = live.withLock { $0.insert(path) } }

    static func unregister(_ path: String) { _ = live.withLock { $0.remove(path) } }

    /// The temporary files this process has in flight.
    public static var paths: [String] { live.withLock { Array($0) } }

    /// Removes every temporary file this process has in flight. For a SIGTERM or SIGINT
    /// handler running outside signal context (a dispatch source), before the process exits.
    public static func removeAll() {
        for path in live.withLock({ set in defer { set.removeAll() }; return set }) { _ = try? FileSystemCalls.remove(path) }
    }

    /// Removes temporary output files in `directory` whose process no longer exists (killed
    /// with `kill -9`, or before a power loss). A file of a live process, or of a process id
    /// that was reused, is kept. Only regular files with the temporary name pattern are
    /// considered.
    public static func removeStale(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let me = FileSystemCalls.processID
        for name in names where name.hasPrefix(".") {
            guard let pid = owner(of: name), pid != me, SystemCallsMissing.processIsGone(pid) else { continue }
            let path = directory + "/" + name
            guard (try? FileSystemCalls.linkStatus(path))??.isRegularFile == true else { continue }
            _ = try? FileSystemCalls.remove(path)
        }
    }

    /// The process id in a temporary output name, or nil if `name` is not one.
    static func owner(of name: String) -> Int32? {
        guard let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let rest = name[marker.upperBound...]
        let parts = rest.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0 else { return nil }
        let random = parts[1].prefix { $0 != "." }
        guard !random.isEmpty, random.allSatisfy(\.isNumber) else { return nil }
        return pid
    }
}
