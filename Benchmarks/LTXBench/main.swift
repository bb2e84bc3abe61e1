import Foundation
import LTX
import Tensors

#if canImport(Glibc)
    import Glibc
#endif

// Reelflow's side of the transformer benchmark (tools/bench/ltx-bench.sh runs it beside
// tools/bench/ltx_transformer_bench.py in the same invocation).
//
//     ltx-bench DIR NAME DTYPE RUNS MASKED
//
// Loads DIR/transformer_NAME.safetensors (written by the Python side's `make`) in DTYPE (f32 or
// bf16; bf16 loads transformer_NAME_bf16.safetensors, the same weights stored in bf16 as the
// real checkpoints are, as the Python side does), builds the same state as the Python side (target grid, a reference latent appended,
// with attention strength 0.5 when MASKED is 1) and times one X0 forward; prints
// `name<TAB>median ms<TAB>peak RSS growth MiB` (over the warm-up forward, the kernel's
// peak mark reset first, as on the Python side).

/// A field of /proc/self/status in MiB (VmRSS, VmHWM).
func statusMiB(_ field: String) -> Double {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]).map { $0 / 1024 } ?? 0
    }
    fatalError("no \(field) in /proc/self/status")
}

/// Resets the kernel's peak-RSS mark to the current RSS (5 into /proc/self/clear_refs), as the
/// Python side does, and returns the RSS now.
func startPeak() -> Double {
    guard let refs = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { fatalError("cannot open /proc/self/clear_refs") }
    refs.write(Data("5".utf8))
    try? refs.close()
    return statusMiB("VmRSS")
}

func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max)
    }
    return Tensor(shape: shape, scalars: values)
}

let args = CommandLine.arguments
guard args.count == 6, let runs = Int(args[4]), runs >= 1 else {
    FileHandle.standardError.write("usage: ltx-bench DIR NAME DTYPE RUNS MASKED (RUNS >= 1)\n".data(using: .utf8)!)
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
let (dir, name, dtype, masked) = (args[1], args[2], args[3] == "bf16" ? DType.bf16 : DType.f32, args[5] == "1")
let grids = ["tiny": (5, 8, 8), "small": (11, 8, 8)]
guard let (f, h, w) = grids[name] else { fatalError("unknown shape \(name)") }

let file = try SafetensorsFile(path: "\(dir)/transformer_\(name)\(dtype == .bf16 ? "_bf16" : "").safetensors")
let config = try TransformerConfig(file: file)
let (weights, _) = try TransformerWeights.load(from: file, config: config, dtype: dtype)
let model = VideoTransformer(config: config, weights: weights)
// Weights read as stored are views of the file mapping: touch every page now, so the memory
// figure below counts what a forward allocates, as the Python side's does (it loads first).
var touched: UInt8 = 0
for stored in file.tensors {
    stored.withUnsafeBytes { raw in
        var i = 0
        while i < raw.count {
            touched ^= raw[i]
            i += 4096
        }
    }
}
if touched == 42 { print("") }

var state = LatentState.initial(
    channels: 128, frames: f, height: h, width: w, fps: 24, dtype: dtype, latent: random([1, 128, f, h, w], seed: 1))
state = try ConditionByReferenceLatent(
    latent: random([1, 128, f, h, w], seed: 2), strength: 1, attention: masked ? .scalar(0.5) : nil)
    .apply(to: state, noisyTokens: f * h * w, fps: 24)
let context = random([1, 128, config.width], seed: 3).to(dtype: dtype)

let before = startPeak()
_ = model.denoised(state, sigma: 0.9, context: context)  // warm-up
let growth = statusMiB("VmHWM") - before
var times: [Double] = []
for _ in 0..<runs {
    let t0 = DispatchTime.now().uptimeNanoseconds
    let x0 = model.denoised(state, sigma: 0.9, context: context)
    _ = x0.count
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
}
times.sort()
let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
print("\(name)_\(args[3])\(masked ? "_masked" : "")\t\(String(format: "%.2f", median))\t\(String(format: "%.1f", growth))")
