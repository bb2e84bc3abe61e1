import CUDABackend
import Foundation
import LTX
import Tensors

/// `cuda-op-suite --vae-bench DIR`: the LTX-2.3-shaped video decoder (407M parameters, random
/// bf16 weights from the project's `RandomCheckpoint`, drawn on the GPU and written to DIR once)
/// decoding a 81x1024x1024 video (latent [1, 128, 11, 32, 32]) on the GPU, untiled and with
/// ltx-core's default tiling (512 px tiles, 64 px overlap; 64 frames, 24 overlap). Median of
/// `runs` after one warm-up; the peak of the memory pool during each; then one untiled decode
/// timed op by op. Prints JSON lines;
/// tools/gpu/vae_bench.py times ltx-core on the same file in the same run.
func runVAEBenchmark(directory: String, gpu: CUDABackend, runs: Int = 3) throws {
    let cuda = gpu.device
    let path = directory + "/vae_full.safetensors"
    if !FileManager.default.fileExists(atPath: path) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = "{\"vae\": \(FullSizeConfigs.vae)}"
        let writer = try RandomCheckpoint.checkpoint(config: try JSONValue.parse(text), configText: text, seed: 3, dtype: .bf16, device: cuda)
        _ = try writer.write(to: URL(fileURLWithPath: path))
    }
    let file = try SafetensorsFile(path: path)
    let (decoder, _) = try VideoDecoder.load(from: file, config: try VAEConfig(file: file), dtype: .bf16, device: cuda)
    var g = TorchGenerator.cuda(seed: 4)
    let latent = g.randn(shape: [1, 128, 11, 32, 32], dtype: .bf16, device: cuda)
    gpu.synchronize()
    // REELFLOW_VAE_QUICK=1: one timed untiled decode (comparing convolution settings).
    let quick = ProcessInfo.processInfo.environment["REELFLOW_VAE_QUICK"] == "1"
    let cases: [(String, VAETiling?)] = [("untiled", nil)] + (quick ? [] : [("tiled (ltx-core default)", VAETiling.default)])
    for (label, tiling) in cases {
        func decode() throws {
            var noise = VAENoise.none
            if let tiling {
                try decoder.decodeTiled(latent, tiling: tiling, noise: &noise) { _ in }
            } else {
                _ = try decoder.decode(latent, noise: &noise)
            }
            gpu.synchronize()
        }
        try decode()
        gpu.resetPeakMemory()
        var samples: [Double] = []
        for _ in 0..<(quick ? 1 : runs) {
            let start = ContinuousClock.now
            try decode()
            samples.append((ContinuousClock.now - start).inSeconds * 1e3)
        }
        samples.sort()
        print("{\"op\": \"VAE decode 81x1024x1024, \(label)\", \"ms\": \(String(format: "%.1f", samples[samples.count / 2]))}")
        print("{\"op\": \"VAE decode peak MiB, \(label)\", \"ms\": \(gpu.peakMemoryBytes >> 20)}")
        fflush(nil)
    }
    let (_, table) = try gpu.profile {
        var noise = VAENoise.none
        return try decoder.decode(latent, noise: &noise)
    }
    print("== one untiled decode, op by op (each op waited for):\n\(table)")
    guard !quick else { return }
    let (_, tiledTable) = try gpu.profile {
        var noise = VAENoise.none
        try decoder.decodeTiled(latent, tiling: .default, noise: &noise) { _ in }
    }
    print("== one tiled decode (ltx-core default), op by op (each op waited for):\n\(tiledTable)")
}
