/// Several LoRAs with their strengths, applied together (ComfyUI's LoraLoader chain,
/// ltx-core's `builder.lora(path, strength)` calls).
public struct LoRAStack: Sendable {
    public struct Entry: Sendable {
        public let adapter: LoRAAdapter
        public let strength: Float
        public init(_ adapter: LoRAAdapter, strength: Float) {
            self.adapter = adapter
            self.strength = strength
        }
    }

    public let entries: [Entry]

    public init(_ entries: [Entry]) { self.entries = entries }

    /// Matches every LoRA module to a base weight key.
    ///
    /// A module `M` targets `M.weight` (the base keys are the component's own names, e.g.
    /// after `LTXComponent.transformer.keyMap`). kohya modules written with underscores
    /// (`lora_unet_transformer_blocks_0_attn1_to_q`) are matched by spelling the base keys
    /// the same way, after removing a `lora_unet_` or `lora_transformer_` prefix.
    /// - Throws: `WeightFileError.unmatchedLoRAKeys` naming the LoRA file, how many modules
    ///   match nothing and examples; or `.loraMismatch` when a pair's shape does not fit
    ///   the base weight's `[out, in]` (`baseShapes` given).
    public func bind(to baseKeys: some Sequence<String>, baseShapes: [String: [Int]] = [:]) throws(WeightFileError) -> BoundLoRAStack {
        let keys = Set(baseKeys)
        var underscored: [String: String] = [:]
        for key in keys {
            guard let module = key.dropSuffix(".weight") else { continue }
            underscored[module.replacing(".", with: "_")] = key
        }
        var contributions: [String: [BoundLoRAStack.Contribution]] = [:]
        for (index, entry) in entries.enumerated() {
            var unmatched: [String] = []
            for pair in entry.adapter.pairs {
                guard let key = Self.target(of: pair.module, keys: keys, underscored: underscored) else {
                    unmatched.append(pair.module)
                    continue
                }
                if let shape = baseShapes[key], shape != [pair.outFeatures, pair.inFeatures] {
                    throw WeightFileError(.loraMismatch, path: entry.adapter.path, tensor: pair.up.name,
                        "the update B·A has shape [\(pair.outFeatures), \(pair.inFeatures)] but base weight '\(key)' has shape \(shape)")
                }
                contributions[key, default: []].append(.init(
                    entryIndex: index, pair: pair, scale: pair.scale(strength: entry.strength)))
            }
            if !unmatched.isEmpty {
                let hint = unmatched.contains { $0.hasPrefix("model.") }
                    ? " (keys under model.diffusion_model. become model. after ltx-core's renaming and match nothing)" : ""
                throw WeightFileError(.unmatchedLoRAKeys, path: entry.adapter.path,
                    "\(unmatched.count) of \(entry.adapter.pairs.count) LoRA modules match no base weight, e.g. "
                    + unmatched.prefix(5).joined(separator: ", ") + hint)
            }
        }
        return BoundLoRAStack(
            contributions: contributions,
            allStrengthsZero: entries.allSatisfy { $0.strength == 0 })
    }

    private static func target(of module: String, keys: Set<String>, underscored: [String: String]) -> String? {
        if keys.contains(module + ".weight") { return module + ".weight" }
        for prefix in ["", "lora_unet_", "lora_transformer_"] where module.hasPrefix(prefix) {
            if let key = underscored[String(module.dropFirst(prefix.count))] { return key }
        }
        return nil
    }
}

/// A `LoRAStack` matched to the keys of one set of base weights: for each base key, the
/// LoRA pairs that update it, in stack order. Fuse a key with `fusedWeight(for:base:)`
/// or apply the update beside the base linear with `addUnfusedDelta(for:input:to:)`.
public struct BoundLoRAStack: Sendable {
    public struct Contribution: Sendable {
        /// Position of the LoRA in the stack.
        public let entryIndex: Int
        public let pair: LoRAPair
        /// The factor B is multiplied by (strength, times alpha / rank for kohya).
        public let scale: Float
    }

    /// Base key -> updates, in stack order.
    public let contributions: [String: [Contribution]]
    /// When every strength is 0 ltx-core skips LoRAs entirely; so do we.
    let allStrengthsZero: Bool

    /// The base keys that receive an update, sorted.
    public var targetKeys: [String] { allStrengthsZero ? [] : contributions.keys.sorted() }
}
