/// Presets inside a list of records: an item written `{preset: NAME}` stands for the items
/// that preset NAME (a preset of the same node type) gives the same input, resolved against
/// the preset's folder. A LoRA stack can so name a shared stack among its own entries:
///
///     loras:
///       - {path: loras/my-style.safetensors, strength: 0.7}
///       - {preset: distilled-lora-stack}      # its `loras:` entries go here
enum ListPresets {
    /// The list with its preset items expanded, or nil when `entry` has none (or the input is
    /// not a list of records, or its records have a `preset` field of their own).
    static func expand(
        _ entry: KeyedNode, type: ValueType, nodeType: String, label: String, at site: ResolutionSite,
        resolver: BindingResolver, library: PresetLibrary
    ) -> Binding? {
        guard case .list(let element) = type, case .record(let fields) = element, !fields.contains(where: { $0.name == "preset" }),
              case .sequence(let sequence) = entry.value,
              sequence.items.contains(where: { presetName($0, site.file) != nil }) else { return nil }
        var items: [Binding] = []
        var ok = true
        for (index, item) in sequence.items.enumerated() {
            let itemLabel = "\(label)[\(index)]"
            guard let (name, mark, fieldCount) = presetName(item, site.file) else {
                if let b = resolver.resolve(item, as: element, label: itemLabel, at: site) { items.append(b) } else { ok = false }
                continue
            }
            guard fieldCount == 1 else {
                resolver.fail(site, mark, "\(itemLabel): an item naming a preset takes no other fields")
                ok = false
                continue
            }
            let loaded: LoadedPreset?
            do { loaded = try library.load(named: name) } catch {
                resolver.diagnostics += error.diagnostics
                ok = false
                continue
            }
            guard let preset = loaded else {
                resolver.fail(site, mark, "\(itemLabel): unknown preset '\(name)' (searched: \(library.searchPath.directories.joined(separator: ", ")))")
                ok = false
                continue
            }
            guard preset.info.type == nodeType else {
                resolver.fail(site, mark, "\(itemLabel): preset '\(name)' configures \(preset.info.type), not \(nodeType)")
                ok = false
                continue
            }
            guard let list = preset.values.first(where: { $0.key == entry.key }), case .sequence(let presetItems) = list.value else {
                resolver.fail(site, mark, "\(itemLabel): preset '\(name)' has no list '\(entry.key)' to take items from")
                ok = false
                continue
            }
            let presetSite = ResolutionSite(file: preset.file, nodeID: site.nodeID, nodeIndex: site.nodeIndex,
                                            baseDirectory: preset.file.directory, allowsReferences: false)
            for (j, presetItem) in presetItems.items.enumerated() {
                if let b = resolver.resolve(presetItem, as: element, label: "\(itemLabel) (preset \(name), item \(j))", at: presetSite) {
                    items.append(b)
                } else {
                    ok = false
                }
            }
        }
        return ok ? BindingResolver.collapse(list: items) : nil
    }

    /// For a mapping item with a `preset` key: the name, its mark and the item's field count.
    private static func presetName(_ item: YAMLNode, _ file: YAMLFile) -> (String, TextMark?, Int)? {
        guard case .mapping(let mapping) = item else { return nil }
        for pair in mapping.pairs {
            guard case .scalar(let key) = pair.key, file.string(of: key) == "preset" else { continue }
            guard case .scalar(let value) = pair.value else { return ("", key.mark, mapping.pairs.count) }
            return (file.string(of: value), value.mark, mapping.pairs.count)
        }
        return nil
    }
}
