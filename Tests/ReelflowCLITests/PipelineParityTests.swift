import Foundation
import Tensors
import Testing

/// graphs/ic-lora-distilled.yaml, run through the CLI on tiny models, against ltx-core's
/// two-stage IC-LoRA pipeline on the same files (tools/reference/make_pipeline_fixtures.py):
/// the final latent to 1e-4 relative in float32, and the same decoded 8-bit frames.
@Suite struct PipelineParityTests {
    /// The graph with the noise replaced by the fixture's injected noise, and Saves for the
    /// latents and a PNG sequence of the frames appended.
    static func injectedNoiseGraph() throws -> String {
        var text = try Pipeline.graph("ic-lora-distilled.yaml")
        text = try Pipeline.replacing("    seed: $seed\n    generator: $generator\n", with: "    noise: $noise_stage1\n", in: text)
        text = try Pipeline.replacing("    noise_from: $stage1.generator\n", with: "    noise: $noise_stage2\n", in: text)
        return text + """

              noise_stage1: {type: LoadTensors, path: \(Pipeline.fixture("noise.safetensors")), name: stage1}
              noise_stage2: {type: LoadTensors, path: \(Pipeline.fixture("noise.safetensors")), name: stage2}
            \(latentSaves)
              frames_out: {type: Save, video: $decoded, path: out/frames, existing: overwrite}

            """
    }

    static let latentSaves = """
          stage1_out: {type: Save, latent: $stage1.latent, path: out/stage1.safetensors, existing: overwrite}
          final_out: {type: Save, latent: $stage2.latent, path: out/final.safetensors, existing: overwrite}
        """

    @Test func injectedNoiseGivesLtxCoresLatentsAndFrames() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = try cli.write("ic.yaml", try Self.injectedNoiseGraph())
        let result = try cli.run(["run", graph, "--presets", Pipeline.presets] + Pipeline.sets(output: "out/edit.mp4"))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let expected = Pipeline.fixture("expected.safetensors")
        let out = cli.dir.appendingPathComponent("out").path
        let stage1 = Pipeline.relativeError(try Pipeline.tensor(out + "/stage1.safetensors", "latent"), try Pipeline.tensor(expected, "stage1_latent"))
        let final = Pipeline.relativeError(try Pipeline.tensor(out + "/final.safetensors", "latent"), try Pipeline.tensor(expected, "final_latent"))
        #expect(stage1 < 1e-4, "stage-1 latent: relative error \(stage1)")
        #expect(final < 1e-4, "final latent: relative error \(final)")

        // The frames: ltx-core's float32 conversion truncates, so a value within 1e-6 of an
        // integer step may land one level apart; everything else is identical.
        let frames = try Pipeline.pngFrames(out + "/frames")
        let reference = try Pipeline.tensor(expected, "frames").hostScalars()
        #expect(frames.count == reference.count)
        let differing = zip(frames, reference).filter { $0 != $1 }
        #expect(differing.allSatisfy { abs($0.0 - $0.1) <= 1 }, "an 8-bit value differs by more than 1")
        #expect(Double(differing.count) < 1e-3 * Double(reference.count), "\(differing.count) of \(reference.count) values differ")
        #expect(FileManager.default.fileExists(atPath: out + "/edit.mp4"))
    }

    /// The shipped graph unchanged, seeded: one torch CPU generator shared by both stages (the
    /// stage-2 sampler continues stage 1's stream), as ltx-pipelines draws its noise.
    @Test func seededRunMatchesWithoutInjectedNoise() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = try cli.write("ic.yaml", try Pipeline.graph("ic-lora-distilled.yaml") + "\n" + Self.latentSaves + "\n")
        let result = try cli.run(["run", graph, "--presets", Pipeline.presets] + Pipeline.sets(output: "out/edit.mp4", extra: ["seed": "42"]))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let expected = Pipeline.fixture("expected.safetensors")
        let out = cli.dir.appendingPathComponent("out").path
        let stage1 = Pipeline.relativeError(try Pipeline.tensor(out + "/stage1.safetensors", "latent"), try Pipeline.tensor(expected, "seeded_stage1_latent"))
        let final = Pipeline.relativeError(try Pipeline.tensor(out + "/final.safetensors", "latent"), try Pipeline.tensor(expected, "seeded_final_latent"))
        #expect(stage1 < 1e-4, "seeded stage-1 latent: relative error \(stage1)")
        #expect(final < 1e-4, "seeded final latent: relative error \(final)")
    }

    /// The parity is not vacuous: without the IC-LoRA, stage 1 is far from ltx-core's.
    @Test func withoutTheICLoRATheLatentDiffers() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = try cli.write("ic.yaml", try Self.injectedNoiseGraph())
        let result = try cli.run(["run", graph, "--presets", Pipeline.presets, "--only", "stage1_out"]
            + Pipeline.sets(output: "out/edit.mp4", extra: ["ic_lora_strength": "0.0"]))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let error = Pipeline.relativeError(
            try Pipeline.tensor(cli.dir.appendingPathComponent("out/stage1.safetensors").path, "latent"),
            try Pipeline.tensor(Pipeline.fixture("expected.safetensors"), "stage1_latent"))
        #expect(error > 1e-2, "relative error \(error)")
    }
}
