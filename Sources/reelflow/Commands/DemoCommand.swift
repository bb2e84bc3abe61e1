import ArgumentParser
import Foundation
import ReelflowDemo
import Tensors

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Make tiny random-weight LTX models and synthetic media, then run the Sync-LoRA graph on them.",
        discussion: """
            Writes its inputs under --dir (kept between runs), runs graphs/sync-lora-edit.yaml with \
            --set overrides pointing at them, and writes DIR/out/sync-lora-edit.mp4. The weights are \
            random: the video shows what the pipeline does to shapes and motion, not a real edit. \
            Run it twice: the second run takes every node from the cache. docs/user-guide.md shows \
            how to run the same graph on the real LTX-2.3 files.
            """)

    @Option(help: "Where the demo's models, media and output go.")
    var dir: String = "demo"

    @Option(help: "The graph to run.")
    var graph: String = "graphs/sync-lora-edit.yaml"

    @Option(help: "Output width (a multiple of 128: the demo's IC-LoRA has reference_downscale_factor 2; default 256, 1024 with --full-size).")
    var width: Int?

    @Option(help: "Output height (a multiple of 128; default 256, 1024 with --full-size).")
    var height: Int?

    @Option(help: "Frames (8k+1; default 25, 81 with --full-size).")
    var frames: Int?

    @Flag(name: .customLong("full-size"), help: ArgumentHelp(
        "LTX-2.3's real shapes (13B transformer, bf16, 32 GB of random files under --dir) instead of tiny models: for a GPU.",
        discussion: "Width, height and frames default to the Sync-LoRA graph's 1024x1024x81; the media are made at that size."))
    var fullSize = false

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override another param of the graph after the demo's own (--set seed=7): a rerun with one input changed.",
        valueName: "name=value"))
    var overrides: [String] = []

    @OptionGroup var deviceOptions: DeviceOptions

    @OptionGroup var cacheOptions: CacheOptions

    @Flag(name: .customLong("no-cache"), help: "Neither read nor write the cache.")
    var noCache = false

    @Flag(help: "Print NDJSON events instead of text.")
    var json = false

    func run() async throws {
        let device = Device(parsing: deviceOptions.device) ?? .cpu
        do { _ = try deviceOptions.settings(activate: true) } catch {
            Terminal.printError("error: --device \(deviceOptions.device): \(error)")
            throw ExitCodes.invalidInput
        }
        let assets = DemoAssets(root: URL(fileURLWithPath: dir).standardizedFileURL, size: fullSize ? .full : .tiny, device: device)
        let width = self.width ?? (fullSize ? 1024 : 256), height = self.height ?? (fullSize ? 1024 : 256)
        let frames = self.frames ?? (fullSize ? 81 : 25)
        do {
            try assets.make(frames: max(frames, 9), width: width, height: height) { Terminal.printError("demo: \($0)") }
        } catch {
            Terminal.printError("error: making the demo inputs failed: \(error)")
            throw ExitCodes.internalError
        }
        guard FileManager.default.fileExists(atPath: graph) else {
            Terminal.printError("error: \(graph) not found; run `reelflow demo` from the repository root or pass --graph")
            throw ExitCodes.invalidInput
        }
        var arguments = [graph]
        for (name, value) in [
            ("checkpoint", assets.checkpoint.path), ("sync_lora", assets.syncLoRA.path), ("distilled_lora", assets.distilledLoRA.path),
            ("upsampler", assets.upsampler.path), ("prompt", assets.prompt.path), ("reference", assets.reference.path),
            ("edited_frame", assets.editedFrame.path), ("output", assets.output.path),
            ("width", String(width)), ("height", String(height)), ("frames", String(frames)),
        ] {
            arguments += ["--set", "\(name)=\(value)"]
        }
        // Full size runs in bf16, as ltx-pipelines does on a GPU.
        if fullSize { arguments += ["--set", "dtype=bfloat16"] }
        for item in overrides { arguments += ["--set", item] }
        arguments += ["--device", deviceOptions.device]
        if let d = cacheOptions.cacheDirectory { arguments += ["--cache-dir", d] }
        if let m = cacheOptions.maxSize { arguments += ["--cache-max-size", m] }
        if noCache { arguments.append("--no-cache") }
        if json { arguments.append("--json") }
        let run = try RunCommand.parse(arguments)
        try await run.run()
        if !json { Terminal.printLine("demo: wrote \(assets.output.path) (random weights: not a real edit)") }
    }
}
