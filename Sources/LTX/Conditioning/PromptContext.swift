import Tensors

/// The prompt's text context: the transformer's cross-attention input, precomputed once by
/// ltx-pipelines' prompt encoder (Gemma and the embeddings processor) and stored as a
/// safetensors file (docs/ltx-transformer.md says how to make one). The Sync-LoRA's constant
/// prompt `3d1t` is such a file.
public enum PromptContext {
    /// The names looked for, in order, when the file holds several tensors.
    public static let keys = ["video_context", "context", "video_encoding"]

    /// Loads the context as `[1, S, W]` in `dtype` on `device`.
    /// - Throws: `WeightFileError` naming the file: no tensor under a known name (and more
    ///   than one tensor), a shape other than `[S, W]` or `[1, S, W]`, or a width `W` the
    ///   transformer cannot take (`caption_channels` for LTX-2.0, the model width otherwise).
    public static func load(path: String, config: TransformerConfig, dtype: DType, device: Device = .cpu) throws(WeightFileError) -> Tensor {
        let file = try SafetensorsFile(path: path)
        let stored: StoredTensor
        if let named = keys.lazy.compactMap({ file[$0] }).first {
            stored = named
        } else if file.tensors.count == 1 {
            stored = file.tensors[0]
        } else {
            throw WeightFileError(.missingKey, path: path, tensor: keys[0],
                "a prompt context file holds one tensor, or one named \(keys.joined(separator: ", ")); found \(file.tensors.map(\.name).prefix(5))")
        }
        let width = config.captionChannels ?? config.width
        let shape = stored.shape
        guard (shape.count == 2 || (shape.count == 3 && shape[0] == 1)), shape.last == width, shape[shape.count - 2] > 0 else {
            throw WeightFileError(.shapeMismatch, path: path, tensor: stored.name,
                "a prompt context must be [S, \(width)] or [1, S, \(width)] for this transformer (\(config.captionChannels == nil ? "the model width" : "caption_channels")); found \(shape)")
        }
        let t = stored.tensor(dtype: dtype, device: device)
        return shape.count == 2 ? t.unsqueezed(0) : t
    }
}
