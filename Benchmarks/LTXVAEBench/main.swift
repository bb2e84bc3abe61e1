import Foundation
import LTX
import Tensors

#if canImport(Glibc)
    import Glibc
#endif

// Reelflow's side of the VAE and upsampler benchmark (tools/bench/ltx-vae-bench.sh runs it
// beside tools/bench/ltx_vae_bench.py in the same invocation).
//
//     ltx-vae-bench DIR FIGURE DTYPE RUNS
//
// Loads DIR/vae_bench.safetensors and DIR/upsampler_bench.safetensors (written by the Python
// side's `make`, with the inputs in DIR/inputs.safetensors), times FIGURE (encode_9x256,
// decode_9x256, decode_33x384, decode_33x384_tiled, upsample_5x12, decode_65x512,
// decode_65x512_tiled) and prints
// `FIGURE_DTYPE<TAB>median ms<TAB>peak RSS growth MiB` (growth over the first, warm-up call).

func peakMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let args = CommandLine.arguments
guard args.count == 5, let runs = Int(args[4]), runs >= 1 else {
    FileHandle.standardError.write("usage: ltx-vae-bench DIR FIGURE DTYPE RUNS (RUNS >= 1)\n".data(using: .utf8)!)
    exit(2)
}
// As the `reelflow` command does: OpenBLAS's generic fallback kernels on a CPU it does not
// know, and its AVX-512 ones on AMD Zen 4, are replaced (only with OPENBLAS_CORETYPE unset), so
// "unset" figures are what users get.
if let repaired = TensorThreads.repairBLASKernelChoice() {
    FileHandle.standardError.write("OpenBLAS kernels: \(repaired.from) -> \(repaired.to) (as reelflow does)\n".data(using: .utf8)!)
}
TensorThreads.tuneHostAllocator()  // as reelflow does
TensorThreads.stopIdleBLASThreads()
let (dir, figure, dtype) = (args[1], args[2], args[3] == "bf16" ? DType.bf16 : DType.f32)
let checkpoint = try SafetensorsFile(path: "\(dir)/vae_bench.safetensors")
let inputs = try SafetensorsFile(path: "\(dir)/inputs.safetensors")
let upFile = try SafetensorsFile(path: "\(dir)/upsampler_bench.safetensors")
let config = try VAEConfig(file: checkpoint)
func input(_ key: String) throws -> Tensor { try inputs.tensor(key).tensor(dtype: dtype) }

let call: () throws -> Tensor
switch figure {
case "encode_9x256":
    let (encoder, _) = try VideoEncoder.load(from: checkpoint, config: config, dtype: dtype)
    let video = try input("video_9x256")
    call = { try encoder.encode(video) }
case "decode_9x256", "decode_33x384", "decode_33x384_tiled", "decode_65x512", "decode_65x512_tiled":
    let (decoder, _) = try VideoDecoder.load(from: checkpoint, config: config, dtype: dtype)
    let latent = try input("latent_" + figure.split(separator: "_")[1])
    // LTX_VAE_BENCH_TILING="tile,overlap,frames,overlap" overrides the tiles (the Python side reads it too).
    let t = (ProcessInfo.processInfo.environment["LTX_VAE_BENCH_TILING"] ?? "256,64,16,8").split(separator: ",").compactMap { Int($0) }
    precondition(t.count == 4, "LTX_VAE_BENCH_TILING takes four integers: tile,overlap,frames,overlap")
    let tiling = try VAETiling(spatial: (t[0], t[1]), temporal: (t[2], t[3]))
    call = {
        var noise = VAENoise.none
        if figure.hasSuffix("_tiled") {
            // Chunks are handed on as they finish (a saver would write them); keep only a checksum.
            var frames = 0
            try decoder.decodeTiled(latent, tiling: tiling, noise: &noise) { frames += $0.shape[2] }
            return Tensor(Float(frames))
        }
        return try decoder.decode(latent, noise: &noise)
    }
case "upsample_5x12":
    let (upsampler, _) = try LatentUpsampler.load(from: upFile, config: try UpsamplerConfig(file: upFile), dtype: dtype)
    let statistics = try PerChannelStatistics(file: checkpoint, channels: config.latentChannels, dtype: dtype)
    let latent = try input("latent_33x384")
    call = { try upsampler.upsampleVideo(latent, statistics: statistics) }
default:
    fatalError("unknown figure \(figure)")
}

// Weights read as stored are views of the file mappings: touch every page now, so the memory
// figure counts what the call allocates, as the Python side's does (it loads first).
var touched: UInt8 = 0
for file in [checkpoint, upFile, inputs] {
    for stored in file.tensors {
        stored.withUnsafeBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 4096) { touched ^= raw[i] }
        }
    }
}
if touched == 42 { print("") }

let before = peakMiB()
_ = try call().count  // warm-up
let growth = peakMiB() - before
var times: [Double] = []
for _ in 0..<runs {
    let t0 = DispatchTime.now().uptimeNanoseconds
    _ = try call().count
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
}
times.sort()
let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
print("\(figure)_\(args[3])\t\(String(format: "%.2f", median))\t\(String(format: "%.1f", growth))")
