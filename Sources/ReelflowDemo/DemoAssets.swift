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
    public let root: URL

    public init(root: URL) { self.root = root }

    public var checkpoint: URL { root.appendingPathComponent("models/ltx-2.3-tiny-random.safetensors") }
    public var syncLoRA: URL { root.appendingPathComponent("models/loras/tiny-random-ic-lora-d2.safetensors") }
    public var distilledLoRA: URL { root.appendingPathComponent("models/loras/tiny-random-distilled-lora.safetensors") }
    public var upsampler: URL { root.appendingPathComponent("models/tiny-random-upscaler-x2.safetensors") }
    public var prompt: URL { root.appendingPathComponent("models/prompts/tiny-random-context.safetensors") }
    public var reference: URL { root.appendingPathComponent("media/reference.mp4") }
    public var editedFrame: URL { root.appendingPathComponent("media/edited_first_frame.png") }
    public var output: URL { root.appendingPathComponent("out/sync-lora-edit.mp4") }
    /// LoRA-Edit's extra inputs (graphs/lora-edit.yaml): a later edited frame, a mask that keeps
    /// the background, a mask video on the reference's attention.
    public var lateFrame: URL { root.appendingPathComponent("media/edited_frame_16.png") }
    public var keepMask: URL { root.appendingPathComponent("media/keep_background_mask.png") }
    public var attentionMask: URL { root.appendingPathComponent("media/reference_attention_mask.mp4") }

    /// Writes every missing file; returns the ones written.
    @discardableResult
    public func make(frames: Int = 25, log: (String) -> Void = { _ in }) throws -> [URL] {
        var written: [URL] = []
        func once(_ url: URL, _ body: () throws -> Void) throws {
            guard !FileManager.default.fileExists(atPath: url.path) else { return }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            log("making \(url.path)")
            try body()
            written.append(url)
        }
        let config = try JSONValue.parse(DemoConfigs.checkpoint)
        let transformer = try TransformerConfig(json: config["transformer"]!, path: "demo config")
        try once(checkpoint) {
            try RandomCheckpoint.checkpoint(config: config, configText: DemoConfigs.checkpoint, seed: 1).write(to: checkpoint)
        }
        try once(syncLoRA) {
            try RandomCheckpoint.lora(transformer: transformer, rank: 8, seed: 2, referenceDownscaleFactor: 2).write(to: syncLoRA)
        }
        try once(distilledLoRA) { try RandomCheckpoint.lora(transformer: transformer, rank: 8, seed: 3).write(to: distilledLoRA) }
        try once(upsampler) {
            try RandomCheckpoint.upsampler(config: try JSONValue.parse(DemoConfigs.upsampler), configText: DemoConfigs.upsampler, seed: 4)
                .write(to: upsampler)
        }
        try once(prompt) {
            var g = TorchGenerator.cpu(seed: 5)
            var writer = SafetensorsWriter()
            try writer.add("video_context", g.randn(shape: [1, 8, transformer.width]))
            try writer.write(to: prompt)
        }
        try once(reference) {
            try MediaWriter.saveVideo(Self.clip(frames: frames, width: 320, height: 240), to: reference.path, options: VideoSaveOptions(fps: 24, crf: 18, existing: .overwrite))
        }
        try once(editedFrame) {
            try MediaWriter.saveImage(Self.edited(Self.clip(frames: 1, width: 320, height: 240)), to: editedFrame.path, existing: .overwrite)
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
                    let rgb: [Float] = [0.15 + 0.5 * g, 0.25 + 0.3 * g, 0.55 - 0.3 * g]
                    let orange: [Float] = [1.0, 0.55, 0.1]
                    for c in 0..<3 {
                        let v = rgb[c] * (1 - disc) + orange[c] * disc
                        data[(c * frames + f) * plane + y * width + x] = v * 2 - 1
                    }
                }
            }
        }
        return Tensor(shape: [1, 3, frames, height, width], scalars: data)
    }
}
