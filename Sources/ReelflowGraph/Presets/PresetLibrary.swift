import Foundation
import Yams

/// What `reelflow presets` shows about one preset.
public struct PresetInfo: Hashable, Sendable {
    public var name: String
    /// The node type it configures.
    public var type: String
    public var description: String?
    /// The preset file (absolute).
    public var file: String
    /// Files of the same name further down the search path, hidden by this one.
    public var shadowed: [String]

    public init(name: String, type: String, description: String?, file: String, shadowed: [String] = []) {
        self.name = name
        self.type = type
        self.description = description
        self.file = file
        self.shadowed = shadowed
    }
}

/// A preset file loaded for use: its type and its values, still as YAML nodes so that
/// they are typed against the schema (and paths resolved against the preset's folder).
struct LoadedPreset {
    var info: PresetInfo
    var file: YAMLFile
    var typeMark: TextMark?
    var values: [KeyedNode]
}

/// Finds and reads preset files along a `PresetSearchPath`.
///
/// A preset file `NAME.yaml` is a mapping with `type:` (a node type), an optional
/// `description:`, and `inputs:`, a mapping of input values written as in a graph,
/// but literal only (no `$param` and no edges).
public struct PresetLibrary: Sendable {
    static let extensions = ["yaml", "yml"]
    static let keys = ["type", "description", "inputs"]

    public var searchPath: PresetSearchPath

    public init(searchPath: PresetSearchPath) { self.searchPath = searchPath }

    /// Every preset reachable on the search path, sorted by name; a name found twice is
    /// listed once, from the first directory, with the others in `shadowed`.
    /// - Throws: `GraphDiagnostics` listing every preset file that cannot be read.
    public func list() throws(GraphDiagnostics) -> [PresetInfo] {
        var presets: [PresetInfo] = []
        var problems: [GraphDiagnostic] = []
        for name in allNames().sorted() {
            do {
                if let preset = try load(named: name) { presets.append(preset.info) }
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw GraphDiagnostics(problems) }
        return presets
    }

    /// One preset by name, or `nil` when no directory holds it.
    public func info(named name: String) throws(GraphDiagnostics) -> PresetInfo? {
        try load(named: name)?.info
    }

    /// The names of all preset files on the search path (for did-you-mean).
    func allNames() -> Set<String> {
        var names = Set<String>()
        for directory in searchPath.directories {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files {
                let url = URL(fileURLWithPath: file)
                if Self.extensions.contains(url.pathExtension) { names.insert(url.deletingPathExtension().lastPathComponent) }
            }
        }
        return names
    }

    func files(named name: String) -> [String] {
        searchPath.directories.flatMap { directory in
            Self.extensions.map { "\(directory)/\(name).\($0)" }
        }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    func load(named name: String) throws(GraphDiagnostics) -> LoadedPreset? {
        guard !name.contains("/"), let path = files(named: name).first else { return nil }
        let file = try YAMLFile.read(path: path)
        var problems: [GraphDiagnostic] = []
        guard let root = file.root,
              let entries = GraphDocument.mapping(root, file: file, what: "a preset file", into: &problems) else {
            if problems.isEmpty {
                problems.append(file.diagnostic(at: nil, message: "the preset file is empty; it needs `type:` and `inputs:`"))
            }
            throw GraphDiagnostics(problems)
        }
        var type: (String, TextMark?)?
        var description: String?
        var values: [KeyedNode] = []
        for entry in entries {
            switch entry.key {
            case "type":
                if case .scalar(let scalar) = entry.value, case .string(let text) = YAMLScalar(scalar, text: file.string(of: scalar)) {
                    type = (text, entry.value.mark)
                } else {
                    problems.append(file.diagnostic(at: entry.value.mark, message: "`type` must be a node type name"))
                }
            case "description":
                if case .scalar(let scalar) = entry.value { description = file.string(of: scalar) }
            case "inputs":
                values = GraphDocument.mapping(entry.value, file: file, what: "`inputs`", into: &problems) ?? []
            default:
                problems.append(file.diagnostic(
                    at: entry.keyMark,
                    message: "unknown preset key '\(entry.key)'" + Suggestions.didYouMean(entry.key, in: Self.keys)
                        + " (a preset has type, description, inputs)"))
            }
        }
        if type == nil, problems.isEmpty {
            problems.append(file.diagnostic(at: root.mark, message: "a preset needs `type: NODE_TYPE`"))
        }
        guard problems.isEmpty, let type else { throw GraphDiagnostics(problems) }
        let absolute = PresetSearchPath.absolute(path)
        let info = PresetInfo(name: name, type: type.0, description: description, file: absolute,
                              shadowed: files(named: name).dropFirst().map(PresetSearchPath.absolute))
        return LoadedPreset(info: info, file: file, typeMark: type.1, values: values)
    }
}
