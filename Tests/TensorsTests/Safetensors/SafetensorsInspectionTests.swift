import Foundation
import Testing
@testable import Tensors

/// The full text of `reelflow inspect` for a small checkpoint and for LoRA fixtures.
@Suite struct SafetensorsInspectionTests {
    @Test func checkpointReport() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let config = #"{"transformer":{"num_layers":2,"norm_eps":1e-06,"positional_embedding_max_pos":[20,2048,2048],"rope_type":"split"},"vae":{"dims":3,"encoder_blocks":[["res_x",{"num_layers":4}]]}}"#
        var writer = SafetensorsWriter(metadata: [("config", config), ("model_version", "2.3.0")])
        try writer.add("model.diffusion_model.proj_out.weight", Tensor(zeros: [128, 4096]), as: .bf16)
        try writer.add("model.diffusion_model.proj_out.bias", Tensor(zeros: [128]), as: .f32)
        try writer.add("vae.per_channel_statistics.std-of-means", Tensor(zeros: [128]), as: .f16)
        let url = dir.url.appendingPathComponent("ckpt.safetensors")
        try writer.write(to: url)
        let report = try SafetensorsInspection.report(path: url.path)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
        #expect(report == """
            file: \(url.path)
            size: \(SafetensorsInspection.byteSize(size)) (header 568 B)
            tensors: 3, 524,544 parameters
              name                                     dtype  shape        size
              model.diffusion_model.proj_out.bias      F32    [128]        512 B
              model.diffusion_model.proj_out.weight    BF16   [128, 4096]  1.0 MiB
              vae.per_channel_statistics.std-of-means  F16    [128]        256 B
            metadata:
              config: JSON, 178 B, shown below
              model_version: 2.3.0
            config:
              {
                "transformer": {
                  "num_layers": 2,
                  "norm_eps": 1e-06,
                  "positional_embedding_max_pos": [20, 2048, 2048],
                  "rope_type": "split"
                },
                "vae": {
                  "dims": 3,
                  "encoder_blocks": [
                    [
                      "res_x",
                      {
                        "num_layers": 4
                      }
                    ]
                  ]
                }
              }

            """)
    }

    @Test func loraReports() throws {
        let a = try LoRAFixtures.path("lora_a.safetensors")
        #expect(try SafetensorsInspection.report(path: a) == """
            file: \(a)
            size: 2.4 KiB (header 1.4 KiB)
            tensors: 12, 516 parameters
              name                                                           dtype  shape    size
              diffusion_model.transformer_blocks.0.attn1.to_k.alpha          F32    []       4 B
              diffusion_model.transformer_blocks.0.attn1.to_k.lora_A.weight  BF16   [4, 16]  128 B
              diffusion_model.transformer_blocks.0.attn1.to_k.lora_B.weight  BF16   [16, 4]  128 B
              diffusion_model.transformer_blocks.0.attn1.to_q.alpha          F32    []       4 B
              diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight  BF16   [4, 16]  128 B
              diffusion_model.transformer_blocks.0.attn1.to_q.lora_B.weight  BF16   [16, 4]  128 B
              diffusion_model.transformer_blocks.1.attn1.to_k.alpha          F32    []       4 B
              diffusion_model.transformer_blocks.1.attn1.to_k.lora_A.weight  BF16   [4, 16]  128 B
              diffusion_model.transformer_blocks.1.attn1.to_k.lora_B.weight  BF16   [16, 4]  128 B
              diffusion_model.transformer_blocks.1.attn1.to_q.alpha          F32    []       4 B
              diffusion_model.transformer_blocks.1.attn1.to_q.lora_A.weight  BF16   [4, 16]  128 B
              diffusion_model.transformer_blocks.1.attn1.to_q.lora_B.weight  BF16   [16, 4]  128 B
            metadata:
              reference_downscale_factor: 1
            lora:
              format: lora_A/lora_B with diffusion_model. prefix
              rank: 4
              modules: 4, target prefix: transformer_blocks.
              first module: transformer_blocks.0.attn1.to_k
              scale: strength (no alpha/rank scaling, as in ltx-core)
              alpha keys: 4, ignored as ltx-core ignores them
              reference_downscale_factor: 1

            """)
        let k = try LoRAFixtures.path("lora_kohya.safetensors")
        let kohya = try SafetensorsInspection.report(path: k)
        #expect(kohya.hasSuffix("""
            metadata: none
            lora:
              format: kohya lora_down/lora_up with alpha
              rank: 4
              modules: 2, target prefix: lora_unet_transformer_blocks_1_
              first module: lora_unet_transformer_blocks_1_attn1_to_k
              scale: strength × alpha / rank; alpha 2.0

            """))
    }

    @Test func malformedFileGivesTheOpeningError() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = try dir.raw("bad.safetensors", header: "[1]")
        #expect(weightError { _ = try SafetensorsInspection.report(path: path) }
            == weightError { _ = try SafetensorsFile(path: path) })
    }
}

extension SafetensorsInspectionTests {
    @Test func unusableLoRAIsSaidSo() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        var writer = SafetensorsWriter()
        try writer.add("x.lora_A.weight", Tensor(zeros: [2, 4]), as: .bf16)
        let url = dir.url.appendingPathComponent("half.safetensors")
        try writer.write(to: url)
        #expect(try SafetensorsInspection.report(path: url.path).hasSuffix("""
            metadata: none
            lora: not usable: has no partner: a LoRA module needs both its down (A) and up (B) factor (tensor 'x.lora_A.weight')

            """))
    }

    @Test func sizesAndCounts() {
        #expect(SafetensorsInspection.byteSize(1023) == "1023 B")
        #expect(SafetensorsInspection.byteSize(44_000_000_000) == "41.0 GiB")
        #expect(SafetensorsInspection.grouped(1_234_567) == "1,234,567")
        #expect(SafetensorsInspection.grouped(999) == "999")
        #expect(SafetensorsInspection.commonPrefix(["a.b.c", "a.b.d", "a.bx"]) == "a.")
    }
}
