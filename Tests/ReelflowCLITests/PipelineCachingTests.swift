import CUDARuntime
import Foundation
import Media
import Tensors
import Testing

/// Caching on the real graphs, through the CLI on the tiny fixture models: what an edit
/// reruns, what stays cached, what `explain` says. Memory-only nodes (model handles) run
/// again in each process that needs them, so the checks below look at persisted nodes.
@Suite struct PipelineCachingTests {
    static let memoryOnly: Set<String> = ["ckpt", "stage1_model", "stage2_model", "ic_model", "upsampler_model"]

    /// A scratch directory with the Sync-LoRA graph, a distilled-LoRA stand-in made by
    /// `reelflow random-model` and a second edited frame.
    func prepared() throws -> (CLI, String) {
        let cli = CLI()
        let made = try cli.run([
            "random-model", "--lora-for", Pipeline.fixture("checkpoint.safetensors"), "--rank", "2", "--seed", "9",
            "--out", cli.dir.appendingPathComponent("distilled.safetensors").path,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let frame = try MediaLoader.loadImage(path: Pipeline.fixture("edited.png"), options: ImageLoadOptions(crf: 0))
        try MediaWriter.saveImage(frame.pixels * 0.5, to: cli.dir.appendingPathComponent("edited2.png").path, existing: .overwrite)
        return (cli, try cli.write("sync.yaml", try Pipeline.graph("sync-lora-edit.yaml")))
    }

    func syncSets(_ cli: CLI, _ extra: [String: String] = [:]) -> [String] {
        var values = [
            "checkpoint": Pipeline.fixture("checkpoint.safetensors"), "sync_lora": Pipeline.fixture("ic_lora.safetensors"),
            "distilled_lora": cli.dir.appendingPathComponent("distilled.safetensors").path,
            "upsampler": Pipeline.fixture("upsampler.safetensors"), "prompt": Pipeline.fixture("context.safetensors"),
            "reference": Pipeline.fixture("reference.mp4"), "edited_frame": Pipeline.fixture("edited.png"),
            "width": "256", "height": "256", "frames": "9", "output": "out/edit.mp4",
        ]
        for (k, v) in extra { values[k] = v }
        return values.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
    }

    /// The persisted nodes a run started.
    func ran(_ cli: CLI, _ graph: String, _ sets: [String]) throws -> Set<String> {
        let result = try cli.run(["run", graph, "--json", "--presets", Pipeline.presets] + sets)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        return Pipeline.started(result.stdout).subtracting(Self.memoryOnly)
    }

    func explain(_ cli: CLI, _ graph: String, _ sets: [String]) throws -> String {
        let result = try cli.run(["explain", graph, "--presets", Pipeline.presets] + sets)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test func eachEditRerunsOnlyWhatItChanges() throws {
        let (cli, graph) = try prepared()
        defer { cli.cleanup() }
        let all = try ran(cli, graph, syncSets(cli))
        #expect(all.isSuperset(of: ["reference_latent", "stage1", "stage2", "decoded", "save"]))

        // A second identical run executes no node at all, memory-only ones included.
        let again = try cli.run(["run", graph, "--json", "--presets", Pipeline.presets] + syncSets(cli))
        #expect(Pipeline.started(again.stdout).isEmpty, "\(again.stdout)")

        // A new edited frame: its branch and everything after it, never the reference.
        let newFrame = syncSets(cli, ["edited_frame": cli.dir.appendingPathComponent("edited2.png").path])
        #expect(try explain(cli, graph, newFrame).contains("frame_half           will run (LoadImage)\n                     - input path changed"))
        let frameRun = try ran(cli, graph, newFrame)
        #expect(frameRun.isSuperset(of: ["frame_half", "frame_half_latent", "stage1", "upscaled", "frame_full", "frame_full_latent", "stage2", "decoded", "save"]))
        #expect(frameRun.isDisjoint(with: ["reference_video", "reference_latent", "prompt_context", "sizes"]), "\(frameRun)")

        // A new stage-2 seed: stage 1 stays cached.
        let seed2 = syncSets(cli, ["edited_frame": cli.dir.appendingPathComponent("edited2.png").path, "stage2_seed": "7"])
        #expect(try explain(cli, graph, seed2).contains("stage2               will run (Sampler)\n                     - input seed changed: 43 -> 7"))
        #expect(try ran(cli, graph, seed2) == ["stage2", "decoded", "save"])

        // A new output path: only Save.
        let moved = syncSets(cli, ["edited_frame": cli.dir.appendingPathComponent("edited2.png").path, "stage2_seed": "7", "output": "out/moved.mp4"])
        #expect(try explain(cli, graph, moved).contains("save                 will run (Save)\n                     - input path changed"))
        #expect(try ran(cli, graph, moved) == ["save"])
        #expect(FileManager.default.fileExists(atPath: cli.dir.appendingPathComponent("out/moved.mp4").path))
    }

    /// The LoRA files' content is part of the key: the same path with other weights reruns
    /// the samplers that use it.
    /// `--device` is a run setting of the model loaders: on another device every node that
    /// reads a model handle reruns (explain says so), and nothing else changes its key. Without a GPU driver, `run --device cuda` is a clear error before any node runs.
    @Test func anotherDeviceRerunsTheModelNodesOnly() throws {
        let (cli, graph) = try prepared()
        defer { cli.cleanup() }
        _ = try ran(cli, graph, syncSets(cli))
        let explained = try cli.run(["explain", graph, "--device", "cuda:0", "--presets", Pipeline.presets] + syncSets(cli))
        #expect(explained.status == 0, "\(explained.stderr)")
        let text = explained.stdout
        // The handles' keys change with the device, so what reads a handle runs; media loading
        // depends only on the sizes, which come out the same (early cutoff keeps it cached).
        #expect(text.contains("ckpt                 memory-only (LoadCheckpoint)"), "\(text)")
        #expect(text.contains("sizes                will run (StageSizes)"), "\(text)")
        #expect(text.contains("prompt_context       will run (LoadConditioning)\n                     - input model changed"), "\(text)")
        #expect(text.contains("reference_video      runs unless upstream output is unchanged (LoadVideo)"), "\(text)")
        // The CPU keys are untouched: explaining without --device finds everything cached.
        #expect(!(try explain(cli, graph, syncSets(cli))).contains("will run"))
        if case .failure = CUDADriver.shared {
            let result = try cli.run(["run", graph, "--device", "cuda", "--presets", Pipeline.presets] + syncSets(cli))
            #expect(result.status == 2)
            #expect(result.stderr.contains("--device cuda") && result.stderr.contains("libcuda.so.1"), "\(result.stderr)")
        }
    }

    @Test func aLoRAWithNewContentRerunsItsSamplers() throws {
        let (cli, graph) = try prepared()
        defer { cli.cleanup() }
        _ = try ran(cli, graph, syncSets(cli))
        let remade = try cli.run([
            "random-model", "--lora-for", Pipeline.fixture("checkpoint.safetensors"), "--rank", "2", "--seed", "10",
            "--out", cli.dir.appendingPathComponent("distilled.safetensors").path,
        ])
        #expect(remade.status == 0)
        #expect(try explain(cli, graph, syncSets(cli)).contains("stage1_model         memory-only (LoRAStack)"))
        let rerun = try ran(cli, graph, syncSets(cli))
        #expect(rerun.isSuperset(of: ["stage1", "stage2"]))
        #expect(rerun.isDisjoint(with: ["reference_latent", "frame_half_latent", "prompt_context"]))
    }

    /// In ltx-pipelines' variant stage 2 sees no reference tokens, so the stage-1 latent is the
    /// cache boundary: a change that gives the same stage-1 latent (here the distilled
    /// schedule written out as explicit sigmas) reruns stage 1 and stops there.
    @Test func theStage1LatentIsTheCacheBoundaryOfTheICLoRAVariant() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let text = try Pipeline.graph("ic-lora-distilled.yaml")
        let graph = try cli.write("ic.yaml", text)
        let sets = Pipeline.sets(output: "out/edit.mp4", extra: ["seed": "42"])
        _ = try ran(cli, graph, sets)
        let explicit = try Pipeline.replacing(
            "    preset: distilled-stage1\n",
            with: "    preset: distilled-stage1\n    sigmas: [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0]\n",
            in: text)
        try cli.write("ic.yaml", explicit)
        let result = try cli.run(["run", graph, "--json", "--presets", Pipeline.presets] + sets)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Pipeline.started(result.stdout).subtracting(Self.memoryOnly) == ["stage1"], "\(result.stdout)")
        #expect(result.stdout.contains("\"cutoff\":true"), "stage 1 reports the early cutoff")
    }
}
