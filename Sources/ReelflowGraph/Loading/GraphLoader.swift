import Foundation
import OrderedCollections
import Yams

/// Loads a graph file into a validated `ResolvedGraph`: parses it (keeping positions),
/// merges presets, applies `--set` overrides, substitutes params, types every value
/// against the node schemas, resolves paths, and checks edges and cycles.
///
/// Every problem found is reported at once, as one `GraphDiagnostics`.
public struct GraphLoader: Sendable {
    public var schemas: any SchemaProvider
    /// `--presets DIR` directories, searched after the graph's and the repository's `nodes/`.
    public var presetDirectories: [String]
    /// The environment (for `REELFLOW_PRESET_PATH`).
    public var environment: [String: String]

    public init(schemas: any SchemaProvider, presetDirectories: [String] = [],
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.schemas = schemas
        self.presetDirectories = presetDirectories
        self.environment = environment
    }

    /// The preset search path for a graph file (see `PresetSearchPath`).
    public func presetLibrary(forGraph file: String?) -> PresetLibrary {
        PresetLibrary(searchPath: PresetSearchPath(graphFile: file, presetDirectories: presetDirectories,
                                                   environment: environment))
    }

    /// Loads and validates the graph file at `path`.
    /// - Parameters:
    ///   - path: The graph file; messages print it as given.
    ///   - overrides: `--set name=value` overrides.
    /// - Throws: `GraphDiagnostics` with every problem found.
    public func load(file path: String, overrides: [ParamOverride] = []) throws(GraphDiagnostics) -> ResolvedGraph {
        let file = try YAMLFile.read(path: path)
        return try load(file, overrides: overrides)
    }

    /// Loads a graph from text, as if read from `path` (relative paths resolve against
    /// `path`'s folder; the file need not exist).
    public func load(yaml: String, path: String, overrides: [ParamOverride] = []) throws(GraphDiagnostics) -> ResolvedGraph {
        let directory = URL(fileURLWithPath: PresetSearchPath.absolute(path)).deletingLastPathComponent().path
        return try load(YAMLFile(text: yaml, path: path, directory: directory), overrides: overrides)
    }

    private func load(_ file: YAMLFile, overrides: [ParamOverride]) throws(GraphDiagnostics) -> ResolvedGraph {
        var diagnostics: [GraphDiagnostic] = []
        let document = GraphDocument(file: file, diagnostics: &diagnostics)
        let description = describe(document, into: &diagnostics)
        let params = readParams(document, overrides: overrides, into: &diagnostics)
        let library = presetLibrary(forGraph: file.directory + "/graph.yaml")
        var types = NodeTypes(schemas: schemas, library: library, count: document.nodes.count)
        for (index, declaration) in document.nodes.enumerated() { types.resolve(declaration, at: index, in: file) }
        diagnostics += types.diagnostics
        var nodeIndex: [String: Int] = [:]
        nodeIndex.reserveCapacity(document.nodes.count)
        for (index, declaration) in document.nodes.enumerated() {
            nodeIndex[declaration.id] = index
            if let param = params[declaration.id] {
                diagnostics.append(file.diagnostic(
                    at: declaration.idMark, node: declaration.id,
                    message: "node id '\(declaration.id)' is also a param (declared at \(file.location(param.mark).map(String.init(describing:)) ?? "--set")); `$\(declaration.id)` would be ambiguous"))
            }
        }
        let resolver = BindingResolver(params: params, schemas: types.schemas, nodeIndex: nodeIndex,
                                       graphDirectory: file.directory)
        var nodes = OrderedDictionary<String, ResolvedNode>()
        nodes.reserveCapacity(document.nodes.count)
        for (index, declaration) in document.nodes.enumerated() {
            guard let schema = types.schemas[index] else { continue }
            let preset = declaration.preset.flatMap { types.presets[$0.name] }
            let inputs = resolveInputs(declaration, at: index, schema: schema, preset: preset, file: file,
                                       resolver: resolver, library: library)
            nodes[declaration.id] = ResolvedNode(id: declaration.id, schema: schema, preset: declaration.preset?.name,
                                                 inputs: inputs, location: file.location(declaration.idMark))
            // The node type's own rules on the values known now (StageSizes: sizes the VAE can take).
            var literals: [String: Value] = [:]
            for (name, binding) in inputs { if case .literal(let value) = binding { literals[name] = value } }
            for problem in schemas.checkLiterals(type: schema.name, literals) {
                let mark = declaration.inputs.first { $0.key == problem.input }?.value.mark ?? declaration.idMark
                diagnostics.append(file.diagnostic(at: mark, node: declaration.id, message: "\(declaration.id).\(problem.input): \(problem.message)"))
            }
        }
        diagnostics += resolver.diagnostics
        // Reading order for everything found per place; cycles, a property of the whole graph, last.
        diagnostics = GraphDiagnostics(diagnostics).sortedByPlace()
        diagnostics += CycleFinder.cycles(order: document.nodes.map(\.id), edges: resolver.edges)
        guard diagnostics.isEmpty else { throw GraphDiagnostics(diagnostics) }
        return ResolvedGraph(file: PresetSearchPath.absolute(file.path), description: description,
                             params: OrderedDictionary(uniqueKeysWithValues: document.params.compactMap { entry in
                                 params[entry.key].map { (entry.key, $0.value) }
                             }),
                             nodes: nodes)
    }

    private func describe(_ document: GraphDocument, into diagnostics: inout [GraphDiagnostic]) -> String? {
        guard let node = document.description else { return nil }
        guard case .scalar(let scalar) = node else {
            diagnostics.append(document.file.diagnostic(at: node.mark, message: "`description` must be text"))
            return nil
        }
        return document.file.string(of: scalar)
    }

    private func readParams(_ document: GraphDocument, overrides: [ParamOverride],
                            into diagnostics: inout [GraphDiagnostic]) -> [String: ParamValue] {
        let file = document.file
        var params: [String: ParamValue] = [:]
        for entry in document.params {
            guard case .scalar(let scalar) = entry.value,
                  case let value = YAMLScalar(scalar, text: file.string(of: scalar)), value != .null else {
                diagnostics.append(file.diagnostic(
                    at: entry.value.mark,
                    message: "param '\(entry.key)' must be a single INT, FLOAT, BOOL or STRING value, got \(GraphDocument.describe(entry.value, file: file))"))
                continue
            }
            if entry.key.contains(".") || entry.key.contains("$") {
                diagnostics.append(file.diagnostic(at: entry.keyMark, message: "param name '\(entry.key)' may not contain '.' or '$'"))
            }
            params[entry.key] = ParamValue(name: entry.key, scalar: value, text: file.string(of: scalar),
                                           mark: scalar.mark)
        }
        for override in overrides {
            guard let param = params[override.name] else {
                diagnostics.append(GraphDiagnostic(
                    location: nil,
                    message: "--set \(override.name)=\(override.value): unknown param '\(override.name)'"
                        + Suggestions.didYouMean(override.name, in: document.params.map(\.key))
                        + (document.params.isEmpty ? " (the graph declares no params)"
                           : " (params: \(document.params.map(\.key).joined(separator: ", ")))")))
                continue
            }
            do {
                params[override.name] = try override.apply(to: param)
            } catch {
                diagnostics += error.diagnostics
            }
        }
        return params
    }

    /// The node's inputs in schema order: the graph's values, then the preset's, then defaults.
    private func resolveInputs(_ declaration: NodeDeclaration, at index: Int, schema: NodeSchema, preset: LoadedPreset?,
                               file: YAMLFile, resolver: BindingResolver, library: PresetLibrary) -> OrderedDictionary<String, Binding> {
        let graphSite = ResolutionSite(file: file, nodeID: declaration.id, nodeIndex: index,
                                       baseDirectory: file.directory, allowsReferences: true)
        // Per schema input: its binding, and whether the graph or the preset wrote it.
        var given = [Binding?](repeating: nil, count: schema.inputs.count)
        var written = [Bool](repeating: false, count: schema.inputs.count)
        for entry in declaration.inputs {
            guard let input = schema.inputs.firstIndex(where: { $0.name == entry.key }) else {
                let names = schema.inputs.map(\.name)
                resolver.fail(graphSite, entry.keyMark, "unknown input '\(entry.key)' for \(schema.name)"
                              + Suggestions.didYouMean(entry.key, in: names)
                              + " (inputs: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
                continue
            }
            written[input] = true
            if let expanded = ListPresets.expand(
                entry, type: schema.inputs[input].type, nodeType: schema.name, label: declaration.id + "." + entry.key,
                at: graphSite, resolver: resolver, library: library) {
                given[input] = expanded
                continue
            }
            given[input] = resolver.resolve(entry.value, as: schema.inputs[input].type,
                                            label: declaration.id + "." + entry.key, at: graphSite)
        }
        if let preset {
            let site = ResolutionSite(file: preset.file, nodeID: declaration.id, nodeIndex: index,
                                      baseDirectory: preset.file.directory, allowsReferences: false)
            for entry in preset.values {
                guard let input = schema.inputs.firstIndex(where: { $0.name == entry.key }) else {
                    resolver.fail(site, entry.keyMark, "unknown input '\(entry.key)' for \(schema.name) in preset '\(preset.info.name)'"
                                  + Suggestions.didYouMean(entry.key, in: schema.inputs.map(\.name)))
                    continue
                }
                guard !written[input] else { continue }
                written[input] = true
                given[input] = resolver.resolve(entry.value, as: schema.inputs[input].type,
                                                label: declaration.id + "." + entry.key, at: site)
            }
        }
        var inputs = OrderedDictionary<String, Binding>()
        inputs.reserveCapacity(schema.inputs.count)
        for (input, spec) in schema.inputs.enumerated() {
            if let binding = given[input] {
                inputs[spec.name] = binding
            } else if let value = spec.defaultValue {
                if !written[input] { inputs[spec.name] = .literal(value) }
            } else if !spec.optional, !written[input] {
                resolver.fail(graphSite, declaration.idMark, "missing required input '\(spec.name)' (\(spec.type)): \(spec.doc)")
            }
        }
        return inputs
    }
}
