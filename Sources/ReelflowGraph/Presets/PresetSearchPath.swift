import Foundation

/// The directories searched for preset files, most important first; the first directory
/// holding `NAME.yaml` (or `NAME.yml`) wins.
///
/// Order (the graph's own presets first, user-wide libraries last):
/// 1. `nodes/` beside the graph file;
/// 2. the repository's `nodes/` (see `repositoryRoot(from:)`);
/// 3. each `--presets DIR`, in the order given;
/// 4. each entry of `REELFLOW_PRESET_PATH` (colon-separated).
/// Relative directories resolve against the current directory. Duplicates are dropped.
public struct PresetSearchPath: Hashable, Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        var seen = Set<String>()
        self.directories = directories.map(Self.absolute).filter { seen.insert($0).inserted }
    }

    /// The search path for a graph file (or, with `graphFile == nil`, for the current
    /// directory, as `reelflow presets` uses it).
    public init(graphFile: String?, presetDirectories: [String] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        let graphDirectory = graphFile.map {
            URL(fileURLWithPath: Self.absolute($0)).deletingLastPathComponent().path
        } ?? FileManager.default.currentDirectoryPath
        var directories = [graphDirectory + "/nodes"]
        if let root = Self.repositoryRoot(from: graphDirectory) { directories.append(root + "/nodes") }
        directories += presetDirectories
        if let path = environment["REELFLOW_PRESET_PATH"] {
            directories += path.split(separator: ":").map(String.init)
        }
        self.init(directories: directories)
    }

    /// The repository a graph belongs to: the nearest folder, starting at `directory` and
    /// walking up, that holds `Package.swift` or `.git`; failing that, the nearest folder
    /// above `directory` that holds a `nodes/` directory. `nil` when neither exists.
    public static func repositoryRoot(from directory: String) -> String? {
        let manager = FileManager.default
        var candidates: [URL] = []
        var url = URL(fileURLWithPath: absolute(directory))
        while true {
            candidates.append(url)
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        for candidate in candidates
        where manager.fileExists(atPath: candidate.path + "/Package.swift") || manager.fileExists(atPath: candidate.path + "/.git") {
            return candidate.path
        }
        var isDirectory: ObjCBool = false
        for candidate in candidates.dropFirst()
        where manager.fileExists(atPath: candidate.path + "/nodes", isDirectory: &isDirectory) && isDirectory.boolValue {
            return candidate.path
        }
        return nil
    }

    static func absolute(_ path: String) -> String {
        let expanded = path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst(1) : path
        let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return URL(fileURLWithPath: expanded, relativeTo: base).standardizedFileURL.path
    }
}
