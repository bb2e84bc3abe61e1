import Foundation
import Testing
@testable import Tensors

@Suite struct KeyMapTests {
    /// A tiny ComfyUI-style LTX checkpoint with a nested config.
    private func checkpoint(_ dir: TestDirectory) throws -> SafetensorsFile {
        var writer = SafetensorsWriter(metadata: [
            ("config", #"{"transformer":{"num_layers":1},"vae":{"latent_channels":4}}"#),
            ("model_version", "2.3.0"),
        ])
        for name in [
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight",
            "model.diffusion_model.transformer_blocks.0.attn1.to_q.bias",
            "model.diffusion_model.video_embeddings_connector.x",
            "vae.encoder.conv_in.conv.weight",
            "vae.decoder.conv_in.conv.weight",
            "vae.per_channel_statistics.std-of-means",
            "vae.per_channel_statistics.mean-of-means",
            "audio_vae.decoder.conv.weight",
            "vocoder.x",
        ] {
            try writer.add(name, Tensor(zeros: name.hasSuffix("weight") ? [2, 2] : [2]), as: .bf16)
        }
        let url = dir.url.appendingPathComponent("ckpt.safetensors")
        try writer.write(to: url)
        return try SafetensorsFile(path: url.path)
    }

    @Test func rulesFilterThenRenameInOrder() {
        let map = KeyMap("m", [.keepPrefix("a."), .keepPrefix("b."), .dropPrefix("a."), .replace(".x.", with: ".y.")])
        #expect(map.apply(to: "a.x.w") == "x.w")  // the prefix goes first, so ".x." no longer occurs
        #expect(map.apply(to: "a.k.x.w") == "k.y.w")
        #expect(map.apply(to: "b.a.w") == "b.a.w")
        #expect(map.apply(to: "c.w") == nil)
        #expect(KeyMap("all", []).apply(to: "anything") == "anything")
        #expect(KeyMap.ltxLoRA.apply(to: "diffusion_model.t.lora_A.weight") == "t.lora_A.weight")
        #expect(KeyMap.ltxLoRA.apply(to: "model.diffusion_model.t.lora_A.weight") == "model.t.lora_A.weight")
        #expect(map.description == "m: keep a.*, keep b.*, drop prefix a., replace .x. -> .y.")
    }

    @Test func splitsAComfyCheckpointIntoComponents() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let file = try checkpoint(dir)
        let transformer = try LTXComponent.transformer.keyMap.apply(to: file)
        #expect(transformer.keys == [
            "transformer_blocks.0.attn1.to_q.bias", "transformer_blocks.0.attn1.to_q.weight",
            "video_embeddings_connector.x",
        ])
        #expect(transformer["transformer_blocks.0.attn1.to_q.weight"]?.name
            == "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight")
        let encoder = try LTXComponent.videoEncoder.keyMap.apply(to: file)
        #expect(encoder.keys == ["conv_in.conv.weight", "per_channel_statistics.mean-of-means", "per_channel_statistics.std-of-means"])
        #expect(encoder["conv_in.conv.weight"]?.name == "vae.encoder.conv_in.conv.weight")
        let decoder = try LTXComponent.videoDecoder.keyMap.apply(to: file)
        #expect(decoder["conv_in.conv.weight"]?.name == "vae.decoder.conv_in.conv.weight")
        #expect(decoder.keys.count == 3)
        #expect(try LTXComponent.spatialUpsampler.keyMap.apply(to: file).keys.count == file.tensors.count)

        #expect(try LTXComponent.transformer.config(in: file)?["num_layers"]?.intValue == 1)
        #expect(try LTXComponent.videoDecoder.config(in: file)?["latent_channels"]?.intValue == 4)
        #expect(try LTXComponent.spatialUpsampler.config(in: file)?["vae"] != nil)
    }

    @Test func strictCheckNamesMissingKeysAndShapesAndReportsUnexpected() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let file = try checkpoint(dir)
        let weights = try LTXComponent.transformer.keyMap.apply(to: file)

        let unexpected = try weights.check(
            expected: ["transformer_blocks.0.attn1.to_q.weight": [2, 2], "transformer_blocks.0.attn1.to_q.bias": [2]])
        #expect(unexpected.keys == ["video_embeddings_connector.x"])
        #expect(unexpected.description == "\(file.path): 1 unexpected key in the transformer weights, e.g. video_embeddings_connector.x")
        #expect(try weights.check(
            expected: ["transformer_blocks.0.attn1.to_q.weight": [2, 2], "transformer_blocks.0.attn1.to_q.bias": [2]],
            ignoring: ["video_embeddings_connector."]).isEmpty)

        let missing = weights.checkError(["transformer_blocks.0.attn1.to_k.weight": [2, 2], "proj_out.weight": [4, 2]])
        #expect(missing?.description == "\(file.path): tensor 'proj_out.weight': missing: the model needs it with shape [4, 2], "
            + "the transformer weights lack it (2 keys missing, e.g. proj_out.weight, transformer_blocks.0.attn1.to_k.weight)")

        let shape = weights.checkError(["transformer_blocks.0.attn1.to_q.weight": [2, 3]])
        #expect(shape?.kind == .shapeMismatch)
        #expect(shape?.description == "\(file.path): tensor 'transformer_blocks.0.attn1.to_q.weight': has shape [2, 2] in the file "
            + "(as 'model.diffusion_model.transformer_blocks.0.attn1.to_q.weight'), but the model expects [2, 3]")
        #expect(weights.checkError([:]) == nil)
    }

    @Test func renamingTwoKeysToOneIsAnError() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let file = try checkpoint(dir)
        let error = weightError { _ = try KeyMap("clash", [.replace("vae.encoder.", with: ""), .replace("vae.decoder.", with: "")]).apply(to: file) }
        #expect(error?.description == "\(file.path): tensor 'vae.encoder.conv_in.conv.weight': the clash key map renames both "
            + "'vae.decoder.conv_in.conv.weight' and 'vae.encoder.conv_in.conv.weight' to 'conv_in.conv.weight'")
    }
}

extension MappedWeights {
    /// The error `check` throws, or nil.
    fileprivate func checkError(_ expected: [String: [Int]]) -> WeightFileError? {
        weightError { _ = try self.check(expected: expected, ignoring: []) }
    }
}
