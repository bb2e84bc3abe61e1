// cuda-op-suite: the shared op suite (TensorsTestSupport's OpSuite) on a GPU through the CUDA
// backend, each case against the CPU backend on the same operands, then larger cases at
// model-like sizes. Prints one line per case and a summary; exits 1 when any case fails.
// Built by tools/gpu/package.sh, run on the GPU machine by tools/gpu/run.sh (docs/cuda.md).
import CUDABackend
import Foundation
import ReelflowTestSupport
import Tensors
import TensorsTestSupport

nonisolated(unsafe) var failures: [String] = []
nonisolated(unsafe) var passed = 0

/// Counts and prints one case: `problem` nil is a pass (with `detail`), else a failure.
func report(_ label: String, problem: String?, detail: String = "") {
    if let problem {
        failures.append("\(label): \(problem)")
        print("FAIL \(label): \(problem)")
    } else {
        passed += 1
        print("ok   \(label)\(detail.isEmpty ? "" : ": " + detail)")
    }
}

/// Whole milliseconds since `start`.
func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
    Int64(((ContinuousClock.now - start).inSeconds * 1e3).rounded(.down))
}

extension Duration {
    /// Seconds as a Double.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Runs `runModelParity` on `device`, counting into `passed` and `failures`.
func runModelChecks(fixtures: String, on device: Device) {
    runModelParity(fixtures: fixtures, on: device) { label, bound, body in
        let start = ContinuousClock.now
        do {
            let (actual, expected) = try body()
            let a = actual.hostScalars(), e = expected.hostScalars()
            let scale = e.map(abs).max() ?? 1
            let error = a.count == e.count ? zip(a, e).map { abs($0 - $1) }.max().map { $0 / max(scale, 1e-30) } ?? 0 : .infinity
            let ok = actual.device == device && error <= bound
            report(
                label, problem: ok ? nil : "relative error \(error) on \(actual.device), bound \(bound)",
                detail: "relative error \(error) (\(milliseconds(since: start)) ms)")
        } catch {
            report(label, problem: "\(error)")
        }
    }
}

if let i = CommandLine.arguments.firstIndex(of: "--models-on-cpu") {
    let fixtures = i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : "Tests/LTXTests/Fixtures"
    runModelChecks(fixtures: fixtures, on: .cpu)
    print("== \(passed) passed, \(failures.count) failed (CPU backend)")
    exit(failures.isEmpty ? 0 : 1)
}

/// Runs the transformer benchmark mode named by `flag` (its argument: the directory) and exits.
func transformerMode(_ flag: String, gpu: CUDABackend?) -> Never {
    let arguments = CommandLine.arguments
    let i = arguments.firstIndex(of: flag)!
    do {
        try runTransformerBenchmark(
            directory: i + 1 < arguments.count ? arguments[i + 1] : "/tmp/reelflow-gpu-bench", gpu: gpu,
            runs: gpu == nil ? 1 : 5, profileOnly: flag == "--transformer-profile")
        exit(0)
    } catch {
        print("cuda-op-suite \(flag): \(error)")
        exit(1)
    }
}

if CommandLine.arguments.contains("--transformer-bench-cpu") { transformerMode("--transformer-bench-cpu", gpu: nil) }

let gpu: CUDABackend
do {
    gpu = try CUDABackend.activate(.cuda(0))
} catch {
    print("cuda-op-suite: \(error)")
    exit(2)
}
print("== \(gpu.summary)")
if CommandLine.arguments.contains("--bench") {
    runOpBenchmarks(gpu)
    exit(0)
}
if let i = CommandLine.arguments.firstIndex(of: "--vae-bench") {
    do {
        try runVAEBenchmark(directory: i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : "/tmp/reelflow-gpu-bench", gpu: gpu)
        exit(0)
    } catch {
        print("cuda-op-suite --vae-bench: \(error)")
        exit(1)
    }
}
for flag in ["--transformer-bench", "--transformer-profile"] where CommandLine.arguments.contains(flag) {
    transformerMode(flag, gpu: gpu)
}
let cuda = Device.cuda(0)
func onGPU(_ t: Tensor) -> Tensor { t.to(device: cuda) }

func check(_ label: String, tolerance: OpSuite.Tolerance = OpSuite.Tolerance(), _ gpuResult: () -> Tensor, _ cpuResult: () -> Tensor) {
    let start = ContinuousClock.now
    let actual = gpuResult()
    let expected = cpuResult()
    var problem: String?
    if actual.device != cuda { problem = "result on \(actual.device), not \(cuda)" }
    problem = problem ?? OpSuite.mismatch(actual, expected, tolerance: tolerance)
    report(label, problem: problem, detail: "\(milliseconds(since: start)) ms")
}

// 1. The shared suite, float32 and bf16.
for dtype in [DType.f32, .bf16] {
    let host = OpSuite.cases(dtype: dtype), device = OpSuite.cases(dtype: dtype, place: onGPU)
    for (c, g) in zip(host, device) {
        // cuDNN's bf16 convolution rounds before the bias is added (as torch's GPU path does),
        // so where the bias cancels the sum the result is off by an ulp of the sum, not of the
        // result: compared on the output's scale.
        // cuBLASLt's GELU epilogue works on the float32 product with its own tanh: measured 2-5
        // ulps from torch's two rounded ops on values above 1e-3 of the output's scale, up to
        // 16 in the tail below 1e-5 (run of 2026-12-06 21:47 UTC): compared on that scale too.
        let onScale = dtype == .bf16 && (c.label.hasPrefix("conv") || c.label.hasPrefix("linear+gelu"))
        let tolerance = onScale ? OpSuite.Tolerance(bf16Ulps: 2, bf16Scale: 1.0 / 256) : OpSuite.Tolerance()
        check("\(c.label) [\(dtype.rawValue)]", tolerance: tolerance, g.run, c.run)
    }
}

// 2. Model-like sizes: the GPU paths the small suite does not reach (many key tiles, 128-wide
// heads, batched and broadcast products, grouped masks, bigger convolutions).
var rng = SeededRandom(seed: 5)
for dtype in [DType.f32, .bf16] {
    // bf16: 2 ulps, or 2^-8 of the output's largest magnitude (a sum of hundreds of terms in
    // another order can cancel to values far below that scale).
    let tol = dtype == .bf16 ? OpSuite.Tolerance(bf16Ulps: 2, bf16Scale: 1.0 / 256) : OpSuite.Tolerance(absolute: 1e-4, relative: 1e-3)
    let tag = "[\(dtype.rawValue)]"
    let x = rng.tensor([2, 300, 256]).to(dtype: dtype), w = rng.tensor([384, 256], scale: 0.06).to(dtype: dtype)
    let bias = rng.tensor([384]).to(dtype: dtype)
    let (gx, gw, gb) = (onGPU(x), onGPU(w), onGPU(bias))
    check("linear 600x256x384 \(tag)", tolerance: tol, { gx.linear(weight: gw, bias: gb) }, { x.linear(weight: w, bias: bias) })
    let a = rng.tensor([3, 4, 40, 24]).to(dtype: dtype), b = rng.tensor([4, 32, 24]).to(dtype: dtype)
    let (ga, gbb) = (onGPU(a), onGPU(b))
    check("matmul broadcast batch, B transposed \(tag)", tolerance: tol,
          { Tensor.matmul(ga, gbb, transposeB: true) }, { Tensor.matmul(a, b, transposeB: true) })
    let at = rng.tensor([3, 4, 24, 40]).to(dtype: dtype), bt = rng.tensor([3, 4, 24, 16]).to(dtype: dtype)
    let (gat, gbt) = (onGPU(at), onGPU(bt))
    check("matmul strided batch, A transposed \(tag)", tolerance: tol,
          { Tensor.matmul(gat, gbt, transposeA: true) }, { Tensor.matmul(at, bt, transposeA: true) })
    let q = rng.tensor([1, 333, 512]).to(dtype: dtype), k = rng.tensor([1, 333, 512]).to(dtype: dtype)
    let v = rng.tensor([1, 333, 512]).to(dtype: dtype)
    let (gq, gk, gv) = (onGPU(q), onGPU(k), onGPU(v))
    check("attention 333 tokens, 4 heads x 128 \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gk, value: gv, heads: 4) }, { Tensor.attention(query: q, key: k, value: v, heads: 4) })
    check("attention 333 tokens, 8 heads x 64 \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gk, value: gv, heads: 8) }, { Tensor.attention(query: q, key: k, value: v, heads: 8) })
    let (q2, k2, v2) = (rng.tensor([2, 4, 200, 128]).to(dtype: dtype), rng.tensor([2, 4, 150, 128]).to(dtype: dtype), rng.tensor([2, 4, 150, 128]).to(dtype: dtype))
    let (gq2, gk2, gv2) = (onGPU(q2), onGPU(k2), onGPU(v2))
    check("attention [B, H, T, d] batch 2, 200 x 150 tokens \(tag)", tolerance: tol,
          { Tensor.scaledDotProductAttention(query: gq2, key: gk2, value: gv2) }, { Tensor.scaledDotProductAttention(query: q2, key: k2, value: v2) })
    let ctx = rng.tensor([1, 77, 512]).to(dtype: dtype)
    let gctx = onGPU(ctx)
    check("cross-attention 333 x 77 tokens \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gctx, value: gctx, heads: 4) },
          { Tensor.attention(query: q, key: ctx, value: ctx, heads: 4) })
    // Grouped weights: grid 0..<200, a reference group with a mask, a keyframe group after it.
    let t = 333
    let groups = (0..<t).map { $0 < 200 ? 0 : ($0 < 300 ? 1 : 2) }
    let cross = (0..<t).map { (i: Int) -> Float in
        if i < 200 { return 1 }
        if i % 9 == 0 { return 0 }
        return Float((i * 37) % 100) / 100 + 0.01
    }
    let weights = TokenGroupWeights(groups: groups, cross: cross, batch: 1, firstIsolatedGroup: 2, dtype: dtype)
    let dense = weights.denseBias().to(dtype: dtype)
    let gdense = onGPU(dense)
    check("attention, grouped mask vs dense bias on the CPU \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gk, value: gv, heads: 4, mask: .groups(weights)) },
          { Tensor.attention(query: q, key: k, value: v, heads: 4, mask: .additive(dense)) })
    check("attention, dense bias \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gk, value: gv, heads: 4, mask: .additive(gdense)) },
          { Tensor.attention(query: q, key: k, value: v, heads: 4, mask: .additive(dense)) })
    let video = rng.tensor([1, 32, 5, 24, 40]).to(dtype: dtype), kernel = rng.tensor([48, 32, 3, 3, 3], scale: 0.05).to(dtype: dtype)
    let kb = rng.tensor([48]).to(dtype: dtype)
    let (gvid, gker, gkb) = (onGPU(video), onGPU(kernel), onGPU(kb))
    check("causal conv3d 32->48 at 5x24x40 \(tag)", tolerance: tol,
          { gvid.causalConv3d(weight: gker, bias: gkb) }, { video.causalConv3d(weight: kernel, bias: kb) })
    // Reflect padding: the im2col path (cuDNN pads with zeros only).
    let reflect: [AxisPadding] = [.symmetric(1, .replicate), .symmetric(1, .reflect), .symmetric(1, .reflect)]
    check("conv3d reflect padding, stride 2 (im2col) \(tag)", tolerance: tol,
          { gvid.conv3d(weight: gker, bias: gkb, stride: [1, 2, 2], padding: reflect) },
          { video.conv3d(weight: kernel, bias: kb, stride: [1, 2, 2], padding: reflect) })
    check("conv3d zero padding, stride 2 \(tag)", tolerance: tol,
          { gvid.conv3d(weight: gker, bias: gkb, stride: [2, 2, 2], padding: [.symmetric(1), .symmetric(1), .symmetric(1)]) },
          { video.conv3d(weight: kernel, bias: kb, stride: [2, 2, 2], padding: [.symmetric(1), .symmetric(1), .symmetric(1)]) })
    check("groupnorm 32 groups \(tag)", tolerance: tol,
          { gvid.groupNorm(groups: 8, weight: nil, bias: nil, eps: 1e-6) }, { video.groupNorm(groups: 8, weight: nil, bias: nil, eps: 1e-6) })
    check("d2s 2x2x2 \(tag)", { gvid.depthToSpace([2, 2, 2], order: .timeWidthHeight) }, { video.depthToSpace([2, 2, 2], order: .timeWidthHeight) })
    check("softmax 4096 wide \(tag)", tolerance: tol, { onGPU(x).reshaped([3, 50, 1024]).softmax() }, { x.reshaped([3, 50, 1024]).softmax() })
}

// 2b. The tensor-core attention kernel's other block size (64 or 128 query rows per block).
do {
    let rows = gpu.flashRowsPerBlock
    gpu.flashRowsPerBlock = rows == 128 ? 64 : 128
    let tol = OpSuite.Tolerance(bf16Ulps: 2, bf16Scale: 1.0 / 256), tag = "[bf16, \(gpu.flashRowsPerBlock) rows per block]"
    for (heads, tokens, keys) in [(4, 333, 333), (8, 333, 333), (4, 200, 77)] {
        let width = 512
        let q = rng.tensor([1, tokens, width]).to(dtype: .bf16), k = rng.tensor([1, keys, width]).to(dtype: .bf16)
        let v = rng.tensor([1, keys, width]).to(dtype: .bf16)
        let (gq, gk, gv) = (onGPU(q), onGPU(k), onGPU(v))
        check("attention \(tokens) x \(keys) tokens, \(heads) heads x \(width / heads) \(tag)", tolerance: tol,
              { Tensor.attention(query: gq, key: gk, value: gv, heads: heads) }, { Tensor.attention(query: q, key: k, value: v, heads: heads) })
    }
    let t = 333
    let groups = (0..<t).map { $0 < 200 ? 0 : ($0 < 300 ? 1 : 2) }
    let cross = (0..<t).map { (i: Int) -> Float in i < 200 ? 1 : (i % 9 == 0 ? 0 : Float((i * 37) % 100) / 100 + 0.01) }
    let weights = TokenGroupWeights(groups: groups, cross: cross, batch: 1, firstIsolatedGroup: 2, dtype: .bf16)
    let dense = weights.denseBias().to(dtype: .bf16)
    let q = rng.tensor([1, t, 512]).to(dtype: .bf16), k = rng.tensor([1, t, 512]).to(dtype: .bf16), v = rng.tensor([1, t, 512]).to(dtype: .bf16)
    let (gq, gk, gv) = (onGPU(q), onGPU(k), onGPU(v))
    check("attention, grouped mask vs dense bias on the CPU \(tag)", tolerance: tol,
          { Tensor.attention(query: gq, key: gk, value: gv, heads: 4, mask: .groups(weights)) },
          { Tensor.attention(query: q, key: k, value: v, heads: 4, mask: .additive(dense)) })
    gpu.flashRowsPerBlock = rows
}

// 3. Conversions, exact both ways.
let wide = Tensor(shape: [8], scalars: [0, -0, 1.5, -3.25e-3, 448, 70000, .infinity, -1e-9])
for dtype in [DType.bf16, .f16, .f8e4m3, .f8e5m2] {
    check("convert to \(dtype.rawValue) and back", { onGPU(wide).to(dtype: dtype).to(dtype: .f32) }, { wide.to(dtype: dtype).to(dtype: .f32) })
}

// 4. torch's CUDA randn drawn on the GPU, bit for bit against torch's draws.
if let i = CommandLine.arguments.firstIndex(of: "--noise") {
    let fixture = i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : "Tests/TensorsTests/Fixtures/noise_cuda.safetensors"
    do {
        for (label, differing, compared) in try runNoiseParity(fixture: fixture, on: cuda) {
            report(
                "randn \(label)", problem: differing == 0 ? nil : "\(differing) of \(compared) differ from torch's",
                detail: "\(compared) values bit for bit")
        }
    } catch {
        report("randn", problem: "\(error)")
    }
}

// 5. The tiny-model parity checks (transformer, VAE, upsampler) on the GPU.
if let i = CommandLine.arguments.firstIndex(of: "--models") {
    let fixtures = i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : "Tests/LTXTests/Fixtures"
    runModelChecks(fixtures: fixtures, on: cuda)
}

print("== \(passed) passed, \(failures.count) failed; GPU memory pool peak \(gpu.peakMemoryBytes >> 20) MiB")
for f in failures { print("   \(f)") }
exit(failures.isEmpty ? 0 : 1)
