import Yams

/// Decides each node's schema from its `type:` or its `preset:`, loading each preset once.
struct NodeTypes {
    let provider: any SchemaProvider
    let library: PresetLibrary
    /// Per node (in file order), its schema when its type is known.
    var schemas: [NodeSchema?]
    /// Preset name -> loaded preset (only successfully loaded ones).
    var presets: [String: LoadedPreset] = [:]
    var failedPresets = Set<String>()
    var diagnostics: [GraphDiagnostic] = []
    private var presetNames: Set<String>?

    init(schemas: any SchemaProvider, library: PresetLibrary, count: Int) {
        self.schemas = Array(repeating: nil, count: count)
        self.provider = schemas
        self.library = library
    }

    mutating func resolve(_ declaration: NodeDeclaration, at index: Int, in file: YAMLFile) {
        if let type = declaration.type {
            if let schema = provider.schema(named: type.name) {
                schemas[index] = schema
            } else {
                diagnostics.append(file.diagnostic(at: type.mark, node: declaration.id,
                                                   message: "unknown node type '\(type.name)'"
                                                       + Suggestions.didYouMean(type.name, in: provider.schemaNames)))
            }
            return
        }
        guard let name = declaration.preset else { return }
        guard let preset = loadPreset(name.name, mark: name.mark, node: declaration.id, in: file) else { return }
        if let schema = provider.schema(named: preset.info.type) {
            schemas[index] = schema
        } else {
            diagnostics.append(preset.file.diagnostic(at: preset.typeMark, node: declaration.id,
                                                      message: "unknown node type '\(preset.info.type)' in preset '\(name.name)'"
                                                          + Suggestions.didYouMean(preset.info.type, in: provider.schemaNames)))
        }
    }

    private mutating func loadPreset(_ name: String, mark: TextMark?, node: String, in file: YAMLFile) -> LoadedPreset? {
        if let preset = presets[name] { return preset }
        if failedPresets.contains(name) { return nil }
        do {
            if let preset = try library.load(named: name) {
                presets[name] = preset
                return preset
            }
            if presetNames == nil { presetNames = library.allNames() }
            diagnostics.append(file.diagnostic(
                at: mark, node: node,
                message: "unknown preset '\(name)'" + Suggestions.didYouMean(name, in: (presetNames ?? []).sorted())
                    + " (searched: \(library.searchPath.directories.joined(separator: ", ")))"))
        } catch {
            diagnostics += error.diagnostics
        }
        failedPresets.insert(name)
        return nil
    }
}
