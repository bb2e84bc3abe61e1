import Foundation
import Media
import Tensors
import Testing

/// Every graph under graphs/ validates with its defaults' structure and runs end to end on
/// the tiny fixture models.
@Suite struct ShippedGraphsTests {
    static let models = [
        "checkpoint": Pipeline.fixture("checkpoint.safetensors"), "sync_lora": Pipeline.fixture("ic_lora.safetensors"),
        "distilled_lora": Pipeline.fixture("ic_lora.safetensors"), "upsampler": Pipeline.fixture("upsampler.safetensors"),
        "prompt": Pipeline.fixture("context.safetensors"), "reference": Pipeline.fixture("reference.mp4"),
        "edited_frame": Pipeline.fixture("edited.png"), "width": "256", "height": "256", "frames": "9", "image_crf": "0",
    ]

    func run(_ cli: CLI, _ name: String, _ values: [String: String]) throws -> CLI.Result {
        let graph = try cli.write(name, try Pipeline.graph(name))
        let sets = values.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
        return try cli.run(["run", graph, "--presets", Pipeline.presets] + sets)
    }

    @Test func previewRunsStageOneOnly() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        var values = Self.models
        values["upsampler"] = nil
        values["output"] = "out/preview.mp4"
        let result = try run(cli, "sync-lora-preview.yaml", values)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let info = try MediaLoader.videoInfo(path: cli.dir.appendingPathComponent("out/preview.mp4").path)
        #expect(info.width == 128 && info.height == 128 && info.impliedFrameCount == 9)
    }

    @Test func loraEditRunsWithKeyframeKeepMaskAndAttentionMask() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let frame = try MediaLoader.loadImage(path: Pipeline.fixture("edited.png"), options: ImageLoadOptions(crf: 0))
        try MediaWriter.saveImage(frame.pixels * -1, to: cli.dir.appendingPathComponent("late.png").path, existing: .overwrite)
        var band = [Float](repeating: 1, count: 64 * 64)
        for i in (16 * 64)..<(48 * 64) { band[i] = -1 }
        let mask = Tensor(shape: [1, 1, 1, 64, 64], scalars: band)
        try MediaWriter.saveImage(Tensor.concatenated([mask, mask, mask], axis: 1), to: cli.dir.appendingPathComponent("keep.png").path, existing: .overwrite)
        let video = Tensor.concatenated(Array(repeating: Tensor.concatenated([mask, mask, mask], axis: 1), count: 9), axis: 2)
        try MediaWriter.saveVideo(video, to: cli.dir.appendingPathComponent("attention.mp4").path, options: VideoSaveOptions(fps: 24, existing: .overwrite))
        var values = Self.models
        values["edited_late_frame"] = cli.dir.appendingPathComponent("late.png").path
        values["late_frame_index"] = "8"
        values["keep_mask"] = cli.dir.appendingPathComponent("keep.png").path
        values["attention_mask"] = cli.dir.appendingPathComponent("attention.mp4").path
        values["output"] = "out/lora-edit.mp4"
        let result = try run(cli, "lora-edit.yaml", values)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let info = try MediaLoader.videoInfo(path: cli.dir.appendingPathComponent("out/lora-edit.mp4").path)
        #expect(info.width == 256 && info.height == 256 && info.impliedFrameCount == 9)
    }

    @Test func everyGraphUnderGraphsValidatesOnTheFixtures() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let names = try FileManager.default.contentsOfDirectory(atPath: CLI.repositoryRoot.appendingPathComponent("graphs").path)
            .filter { $0.hasSuffix(".yaml") && $0 != "hello.yaml" }
        #expect(names.count >= 4)
        for name in names {
            let text = try Pipeline.graph(name)
            let graph = try cli.write(name, text)
            // Give each param the graph declares a fixture value when one exists.
            var values = Self.models.filter { text.contains("\n  \($0.key):") }
            if text.contains("\n  ic_lora:") { values["ic_lora"] = Pipeline.fixture("ic_lora.safetensors") }
            for key in ["edited_late_frame", "keep_mask"] where text.contains("\n  \(key):") { values[key] = Pipeline.fixture("edited.png") }
            if text.contains("\n  attention_mask:") { values["attention_mask"] = Pipeline.fixture("reference.mp4") }
            let sets = values.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
            let result = try cli.run(["validate", graph, "--presets", Pipeline.presets] + sets)
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
    }
}
