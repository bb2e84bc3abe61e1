import Foundation
import LTX
import Media
import Tensors

/// Makes the built-in demo's inputs: a random-weight LTX-2.3-shaped checkpoint, a Sync-LoRA
/// stand-in (an IC-LoRA with reference_downscale_factor 2), a distilled-LoRA stand-in, an
/// upsampler, a prompt context, a synthetic reference clip and an "edited" first frame. The
/// weights are random, so the output is not a real edit; every shape and step is the real
/// pipeline's. Files that exist are kept (their fingerprints, and so the cache, stay valid).
public struct DemoAssets: Sendable {
    /// How big the random models are.
    public enum Size: String, Sendable {
        /// A few thousand times smaller than the real files: the whole graph runs in seconds on
        /// a laptop CPU (`DemoConfigs`).
        case tiny
        /// LTX-2.3's real shapes (`FullSizeConfigs`), bf16, LoRAs of the real ranks (Sync-LoRA
        /// 256, distilled 384): 32 GB of files, for a GPU.
        case full
    }

    public let root: URL
    public let size: Size
    /// Where the random weights are drawn (a GPU draws full-size files in seconds).
    public let device: Device

    public init(root: URL, size: Size = .tiny, device: Device = .cpu) {
        (self.root, self.size, self.device) = (root, size, device)
    }

    private var tag: String { size == .tiny ? "tiny" : "full" }
    public var checkpoint: URL { root.appendingPathComponent("models/ltx-2.3-\(tag)-random.safetensors") }
    public var syncLoRA: URL { root.appendingPathComponent("models/loras/\(tag)-random-ic-lora-d2.safetensors") }
    public var distilledLoRA: URL { root.appendingPathComponent("models/loras/\(tag)-random-distilled-lora.safetensors") }
    public var upsampler: URL { root.appendingPathComponent("models/\(tag)-random-upscaler-x2.safetensors") }
    public var prompt: URL { root.appendingPathComponent("models/prompts/\(tag)-random-context.safetensors") }
    public var reference: URL { root.appendingPathComponent(size == .tiny ? "media/reference.mp4" : "media/reference-full.mp4") }
    public var editedFrame: URL {
        root.appendingPathComponent(size == .tiny ? "media/edited_first_frame.png" : "media/edited_first_frame-full.png")
    }
    public var output: URL { root.appendingPathComponent(size == .tiny ? "out/sync-lora-edit.mp4" : "out/sync-lora-edit-full.mp4") }
    /// LoRA-Edit's extra inputs (graphs/lora-edit.yaml): a later edited frame, a mask that keeps
    /// the background, a mask video on the reference's attention.
    public var lateFrame: URL { root.appendingPathComponent("media/edited_frame_16.png") }
    public var keepMask: URL { root.appendingPathComponent("media/keep_background_mask.png") }
    public var attentionMask: URL { root.appendingPathComponent("media/reference_attention_mask.mp4") }

    /// Writes every missing file; returns the ones written.
    @discardableResult
    /// The media are 320x240 for tiny models, `width` x `height` for full-size ones.
    public func make(frames: Int = 25, width: Int = 1024, height: Int = 1024, log: (String) -> Void = { _ in }) throws -> [URL] {
        var written: [URL] = []
        func once(_ url: URL, _ body: () throws -> Void) throws {
            guard !FileManager.default.fileExists(atPath: url.path) else { return }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            log("making \(url.path)")
            try body()
            written.append(url)
        }
        let (configText, upsamplerText) = size == .tiny
            ? (DemoConfigs.checkpoint, DemoConfigs.upsampler) : (FullSizeConfigs.checkpoint, FullSizeConfigs.upsampler)
        let (dtype, syncRank, distilledRank): (DType, Int, Int) = size == .tiny ? (.f32, 8, 8) : (.bf16, 256, 384)
        let config = try JSONValue.parse(configText)
        let transformer = try TransformerConfig(json: config["transformer"]!, path: "demo config")
        try once(checkpoint) {
            try RandomCheckpoint.checkpoint(config: config, configText: configText, seed: 1, dtype: dtype, device: device).write(to: checkpoint)
        }
        try once(syncLoRA) {
            try RandomCheckpoint.lora(
                transformer: transformer, rank: syncRank, seed: 2, referenceDownscaleFactor: 2, dtype: dtype, device: device
            ).write(to: syncLoRA)
        }
        try once(distilledLoRA) {
            try RandomCheckpoint.lora(transformer: transformer, rank: distilledRank, seed: 3, dtype: dtype, device: device)
                .write(to: distilledLoRA)
        }
        try once(upsampler) {
            try RandomCheckpoint.upsampler(config: try JSONValue.parse(upsamplerText), configText: upsamplerText, seed: 4, dtype: dtype, device: device)
                .write(to: upsampler)
        }
        try once(prompt) {
            var g = TorchGenerator.cpu(seed: 5)
            var writer = SafetensorsWriter()
            // The tiny demo's 8 tokens; at full size the 1024 of ltx-pipelines' padded prompt.
            let tokens = size == .tiny ? 8 : 1024
            try writer.add("video_context", g.randn(shape: [1, tokens, transformer.captionChannels ?? transformer.width]))
            try writer.write(to: prompt)
        }
        let (mw, mh) = size == .tiny ? (320, 240) : (width, height)
        try once(reference) {
            try MediaWriter.saveVideo(Self.clip(frames: frames, width: mw, height: mh), to: reference.path, options: VideoSaveOptions(fps: 24, crf: 18, existing: .overwrite))
        }
        try once(editedFrame) {
            try MediaWriter.saveImage(Self.edited(Self.clip(frames: 1, width: mw, height: mh)), to: editedFrame.path, existing: .overwrite)
        }
        try once(lateFrame) {
            try MediaWriter.saveImage(Self.edited(Self.clip(frames: 17, width: 320, height: 240).sliced(axis: 2, 16..<17)), to: lateFrame.path, existing: .overwrite)
        }
        try once(keepMask) {
            // Keep everything but a band through the middle, where the disc moves.
            var m = [Float](repeating: 1, count: 240 * 320)
            for y in 60..<180 { for x in 0..<320 { m[y * 320 + x] = -1 } }
            let mask = Tensor(shape: [1, 1, 1, 240, 320], scalars: m)
            try MediaWriter.saveImage(Tensor.concatenated([mask, mask, mask], axis: 1), to: keepMask.path, existing: .overwrite)
        }
        try once(attentionMask) {
            // The reference steers only around its disc: the clip's orange channel, thresholded.
            let clip = Self.clip(frames: frames, width: 320, height: 240)
            let disc = (clip.sliced(axis: 1, 0..<1) - clip.sliced(axis: 1, 2..<3) - 0.8).clamped(min: 0) * 100
            let mask = (1 - (1 - disc).clamped(min: 0)) * 2 - 1
            try MediaWriter.saveVideo(
                Tensor.concatenated([mask, mask, mask], axis: 1), to: attentionMask.path,
                options: VideoSaveOptions(fps: 24, crf: 18, existing: .overwrite))
        }
        return written
    }

    /// The demo's "edit" of a frame: the disc turns from orange to blue, the background darkens.
    static func edited(_ frame: Tensor) -> Tensor {
        Tensor.concatenated([frame.sliced(axis: 1, 2..<3), frame.sliced(axis: 1, 1..<2), frame.sliced(axis: 1, 0..<1)], axis: 1) * 0.8
    }

    /// A synthetic clip `[1, 3, F, H, W]` in [-1, 1]: a soft orange disc circling over a
    /// moving diagonal gradient.
    static func clip(frames: Int, width: Int, height: Int) -> Tensor {
        var data = [Float](repeating: 0, count: 3 * frames * height * width)
        let plane = height * width
        for f in 0..<frames {
            let t = Float(f) / 24
            let cx = Float(width) * (0.5 + 0.3 * Float(cos(Double(t) * 2.5)))
            let cy = Float(height) * (0.5 + 0.3 * Float(sin(Double(t) * 2.5)))
            let radius = Float(min(width, height)) * 0.18
            for y in 0..<height {
                for x in 0..<width {
                    let g = (Float(x + y) / Float(width + height) + t * 0.2).truncatingRemainder(dividingBy: 1)
                    let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
                    let disc = max(0, min(1, (radius - d) / 4 + 0.5))
                    let rgb = (0.15 + 0.5 * g, 0.25 + 0.3 * g, 0.55 - 0.3 * g)
                    let at = f * plane + y * width + x
                    data[at] = (rgb.0 * (1 - disc) + 1.0 * disc) * 2 - 1
                    data[frames * plane + at] = (rgb.1 * (1 - disc) + 0.55 * disc) * 2 - 1
                    data[2 * frames * plane + at] = (rgb.2 * (1 - disc) + 0.1 * disc) * 2 - 1
                }
            }
        }
        return Tensor(shape: [1, 3, frames, height, width], scalars: data)
    }
}
