import CUDABackend
import Foundation
import LTX
import Tensors

/// `cuda-op-suite --transformer-bench DIR`: one forward (the x0 prediction of one sampler step)
/// of the full-size LTX-2.3 video transformer (48 layers, 32 heads x 128, cross-attention 4096,
/// split RoPE, gated attention, prompt AdaLN) in bf16 on the GPU, at the Sync-LoRA's stage-1
/// size (512x512x81 plus the reference: 5632 tokens) and stage-2 size (1024x1024x81: 11264
/// tokens), with 1024 context tokens. The random checkpoint is written by the project's
/// `RandomCheckpoint` (drawn on the GPU) to DIR once; tools/gpu/transformer_bench.py times
/// ltx-core on the same file in the same run. Prints JSON lines.
/// With `gpu` nil it runs on the CPU backend on whatever DIR holds (a smoke test of the harness
/// with a tiny checkpoint: `--transformer-bench-cpu DIR`).
/// With `profileOnly`, it times one forward of each stage op by op instead, with where its
/// memory peaks (`--transformer-profile`).
func runTransformerBenchmark(directory: String, gpu: CUDABackend?, runs: Int = 5, profileOnly: Bool = false) throws {
    let cuda = gpu?.device ?? .cpu
    let path = directory + "/transformer_full.safetensors"
    if !FileManager.default.fileExists(atPath: path) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let start = ContinuousClock.now
        let text = FullSizeConfigs.transformerCheckpoint
        let writer = try RandomCheckpoint.checkpoint(
            config: try JSONValue.parse(text), configText: text, seed: 1, dtype: .bf16, device: cuda)
        _ = try writer.write(to: URL(fileURLWithPath: path))
        print("{\"op\": \"write random checkpoint (s)\", \"ms\": \(String(format: "%.1f", (ContinuousClock.now - start).inSeconds))}")
    }
    let file = try SafetensorsFile(path: path)
    let config = try TransformerConfig(file: file)
    let loadStart = ContinuousClock.now
    let (weights, _) = try TransformerWeights.load(from: file, config: config, dtype: .bf16, device: cuda)
    gpu?.synchronize()
    print("{\"op\": \"load weights to the GPU (s)\", \"ms\": \(String(format: "%.1f", (ContinuousClock.now - loadStart).inSeconds))}")
    let model = VideoTransformer(config: config, weights: weights)
    // The peak below is the steps' (weights included), not writing or loading the file's.
    gpu?.resetPeakMemory()
    var g = TorchGenerator.cuda(seed: 2)
    for (label, frames, height, width) in [("stage-1 5632 tokens", 22, 16, 16), ("stage-2 11264 tokens", 11, 32, 32)] {
        let tokens = frames * height * width
        let input = VideoTransformer.Input(
            latent: g.randn(shape: [1, tokens, 128], dtype: .bf16, device: cuda),
            timesteps: Tensor(repeating: 0.9, shape: [1, tokens], dtype: .bf16, device: cuda),
            sigma: Tensor(repeating: 0.9, shape: [1], dtype: .bf16, device: cuda),
            positions: VideoPositions.grid(frames: frames, height: height, width: width, fps: 24).to(device: cuda),
            context: g.randn(shape: [1, 1024, config.captionChannels ?? config.crossAttentionDim], dtype: .bf16, device: cuda))
        _ = model.denoised(input)
        gpu?.synchronize()
        if profileOnly, let gpu {
            let (_, table) = gpu.profile { model.denoised(input) }
            print("== one forward, \(label), op by op (each op waited for):\n\(table)")
            continue
        }
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            _ = model.denoised(input)
            gpu?.synchronize()
            samples.append((ContinuousClock.now - start).inSeconds * 1e3)
        }
        samples.sort()
        print("{\"op\": \"transformer step, \(label)\", \"ms\": \(String(format: "%.1f", samples[samples.count / 2]))}")
        fflush(nil)
    }
    print("{\"op\": \"transformer peak pool MiB\", \"ms\": \((gpu?.peakMemoryBytes ?? 0) >> 20)}")
}
