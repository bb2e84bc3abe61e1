// tensor-bench: timings of Tensors ops, printed as `figure<TAB>median ms<TAB>note` lines for
// tools/bench/tensor-bench.sh, which puts them beside PyTorch's figures from the same run.
//
//   tensor-bench linear [runs]      linear vs bare cblas_sgemm at the LTX shapes
//   tensor-bench attention [runs]   32 heads x 128 dims x 1408 tokens, with peak memory
import Foundation
import Tensors

#if canImport(Glibc)
    import Glibc
#endif

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Runs `body` once to warm up, then `runs` times; returns the median in milliseconds.
func time(runs: Int, _ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return median(samples)
}

/// Times several bodies interleaved (a, b, c, a, b, c, ...) after one warm-up each, so load
/// from other processes hits every figure alike; returns each body's median in ms.
func timeInterleaved(runs: Int, _ bodies: [() -> Void]) -> [Double] {
    for body in bodies { body() }
    var samples = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<runs {
        for (i, body) in bodies.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            samples[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
    }
    return samples.map(median)
}

func report(_ figure: String, _ ms: Double, _ note: String) {
    print("\(figure)\t\(String(format: "%.2f", ms))\t\(note)")
}

/// Peak resident set size so far, in bytes (`getrusage` reports KiB on Linux).
func peakRSS() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var state = seed
    let values = (0..<shape.reduce(1, *)).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max) - 0.5
    }
    // Through one op, so the input lives in op-allocated memory (transparent huge pages for
    // 8 MiB and more) as it did when this function wrote into `Tensor(shape:initializingWith:)`;
    // an adopted Swift array has 4 KiB pages, which made strided reads (depth-to-space) up to
    // 3-4x slower and would compare unlike inputs.
    return Tensor(shape: shape, scalars: values) + 0
}

func benchLinear(runs: Int) {
    for (rows, inF, outF) in [(1408, 4096, 4096), (1408, 4096, 16384)] {
        let x = random([rows, inF], seed: 1), w = random([outF, inF], seed: 2), b = random([outF], seed: 3)
        let gflop = 2 * Double(rows) * Double(inF) * Double(outF) / 1e9
        let shape = "\(rows)x\(inF)x\(outF)"
        var y = [Float](repeating: 0, count: rows * outF)
        let ms = timeInterleaved(runs: runs, [
            {
                x.withHostScalars { xp in
                    w.withHostScalars { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            bareSgemm(
                                rows: rows, out: outF, in: inF, x: xp.baseAddress!, w: wp.baseAddress!,
                                y: yp.baseAddress!, threads: TensorThreads.count)
                        }
                    }
                }
            },
            { _ = x.linear(weight: w) },
            { _ = x.linear(weight: w, bias: b) },
        ])
        for (name, t) in zip(["sgemm", "linear", "linear_bias"], ms) {
            report("\(name)_\(shape)", t, String(format: "%.0f GFLOP/s", gflop / t * 1e3))
        }
    }
}

/// User + system CPU seconds of the process so far: steadier than wall time on a shared
/// machine when tuning single-threaded kernels.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func benchAttention(runs: Int) {
    let (heads, dim, tokens) = (32, 128, 1408)
    let q = random([1, tokens, heads * dim], seed: 4), k = random([1, tokens, heads * dim], seed: 5)
    let v = random([1, tokens, heads * dim], seed: 6)
    let before = peakRSS()
    let first = Tensor.attention(query: q, key: k, value: v, heads: heads)
    let peakDelta = peakRSS() - before
    let scratch = CPUBackend.attentionScratchBytes(queryTokens: tokens, keyTokens: tokens)
    let full = heads * tokens * tokens * 4
    _ = first.count
    let cpuBefore = cpuSeconds()
    let ms = time(runs: runs) { _ = Tensor.attention(query: q, key: k, value: v, heads: heads) }
    let cpuMs = (cpuSeconds() - cpuBefore) / Double(runs + 1) * 1e3
    report(
        "attention_32x128x1408", ms,
        String(
            format: "CPU %.0f ms/call; peak RSS +%.1f MiB (output %.1f MiB, scratch %.1f MiB; full scores would be %.0f MiB)",
            cpuMs, Double(peakDelta) / 1_048_576, Double(first.count * 4) / 1_048_576, Double(scratch) / 1_048_576,
            Double(full) / 1_048_576))
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "all"
let runs = args.count > 2 ? Int(args[2]) ?? 5 : 5
print("#\tthreads \(TensorThreads.count), OpenBLAS core \(TensorThreads.blasCoreName), OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(unset)")")
switch mode {
case "linear": benchLinear(runs: runs)
case "attention": benchAttention(runs: runs)
case "attention-parts", "kernels", "storage", "conv", "norms", "shuffle", "bf16", "onednn-gemm", "amx-attention", "f32-attention": break
default:
    benchAttention(runs: runs)
    benchLinear(runs: runs)
}

/// Where attention's time goes: the two GEMMs alone (as batched matmuls) and one exp per
/// score, at the attention benchmark's sizes.
func benchAttentionParts(runs: Int) {
    let (heads, dim, tokens) = (32, 128, 1408)
    let q = random([heads, tokens, dim], seed: 4), k = random([heads, tokens, dim], seed: 5)
    let scores = random([heads, tokens, tokens], seed: 7)
    let ms = timeInterleaved(runs: runs, [
        { _ = Tensor.matmul(q, k, transposeB: true) },
        { _ = Tensor.matmul(scores, k) },
        { _ = scores.exp() },
        { _ = scores.softmax() },
    ])
    for (name, t) in zip(["parts_qk_matmul", "parts_pv_matmul", "parts_exp", "parts_softmax"], ms) {
        report(name, t, "")
    }
}
if mode == "attention-parts" { benchAttentionParts(runs: runs) }

/// Single-threaded CPU time per call (getrusage), for tuning kernels on a shared machine.
func benchKernelsCPU(runs: Int) {
    TensorThreads.count = 1
    func cpu(_ name: String, _ body: () -> Void) {
        body()
        let before = cpuSeconds()
        for _ in 0..<runs { body() }
        report(name, (cpuSeconds() - before) / Double(runs) * 1e3, "CPU ms, 1 thread")
    }
    let x = random([16 << 20], seed: 8)
    let scores = random([4, 1408, 1408], seed: 9)
    let q = random([4, 1408, 128], seed: 10), k = random([4, 1408, 128], seed: 11)
    let qt = random([1, 1408, 4 * 128], seed: 12), kt = random([1, 1408, 4 * 128], seed: 13)
    cpu("cpu_exp_16M") { _ = x.exp() }
    cpu("cpu_silu_16M") { _ = x.silu() }
    cpu("cpu_gelu_tanh_16M") { _ = x.geluTanh() }
    cpu("cpu_softmax_4x1408x1408") { _ = scores.softmax() }
    cpu("cpu_qk_matmul_4heads") { _ = Tensor.matmul(q, k, transposeB: true) }
    cpu("cpu_pv_matmul_4heads") { _ = Tensor.matmul(scores, k) }
    let env = ProcessInfo.processInfo.environment
    for bq in (env["ATTN_BQ"] ?? "256").split(separator: ",").compactMap({ Int($0) }) {
        for bk in (env["ATTN_BK"] ?? "512").split(separator: ",").compactMap({ Int($0) }) {
            cpu("cpu_attention_4heads_bq\(bq)_bk\(bk)") {
                _ = CPUBackend.shared.attention(query: qt, key: kt, value: kt, heads: 4, queryBlock: bq, keyBlock: bk)
            }
        }
    }
}
if mode == "kernels" { benchKernelsCPU(runs: runs) }

/// Tensor storage ([Float], copy-on-write) against a raw aligned allocation: allocate a
/// linear-output-sized buffer (1408 x 16384 floats, 88 MiB), write every element, free.
func benchStorage(runs: Int) {
    let n = 1408 * 16384
    let ms = timeInterleaved(runs: runs, [
        {
            let t = Tensor(repeating: 1, shape: [n])
            precondition(t.count == n)
        },
        {
            let p = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64).bindMemory(to: Float.self, capacity: n)
            p.initialize(repeating: 1, count: n)
            p.deallocate()
        },
        {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 2 << 20)
            _ = madvise(raw, n * 4, 14)  // MADV_HUGEPAGE
            let p = raw.bindMemory(to: Float.self, capacity: n)
            p.initialize(repeating: 1, count: n)
            p.deallocate()
        },
    ])
    report("storage_hugepage_88MiB", ms[2], "2 MiB-aligned + madvise(MADV_HUGEPAGE) + fill")
    report("storage_tensor_88MiB", ms[0], "Tensor(shape:initializingWith:) + fill")
    report("storage_raw_88MiB", ms[1], "UnsafeMutableRawPointer.allocate(alignment: 64) + fill")
}
if mode == "storage" { benchStorage(runs: runs) }

/// A VAE-sized causal 3D convolution (128 -> 128 channels, 3x3x3, 9 frames of 64x64, zero
/// spatial padding), beside `torch_ops_bench.py conv`: the im2col + GEMM path on both threads.
func benchConvolution(runs: Int) {
    let x = random([1, 128, 9, 64, 64], seed: 14), w = random([128, 128, 3, 3, 3], seed: 15)
    let b = random([128], seed: 16)
    let gflop = 2 * Double(128 * 128 * 27) * Double(9 * 64 * 64) / 1e9
    let ms = time(runs: runs) { _ = x.causalConv3d(weight: w, bias: b) }
    report("causal_conv3d_128x9x64x64_k3", ms, String(format: "%.0f GFLOP/s", gflop / ms * 1e3))
}
if mode == "conv" { benchConvolution(runs: runs) }

/// The norms at LTX sizes, beside `torch_ops_bench.py norms`: RMSNorm over the transformer's
/// 4096 features for 1408 tokens, GroupNorm(32) and PixelNorm over a VAE activation.
func benchNorms(runs: Int) {
    let tokens = random([1408, 4096], seed: 17), scale = random([4096], seed: 18)
    let video = random([1, 128, 9, 64, 64], seed: 19)
    let gamma = random([128], seed: 20), beta = random([128], seed: 21)
    report("rms_norm_1408x4096", time(runs: runs) { _ = tokens.rmsNorm(weight: scale) }, "")
    report("group_norm_32_128x9x64x64", time(runs: runs) { _ = video.groupNorm(groups: 32, weight: gamma, bias: beta) }, "")
    report("pixel_norm_128x9x64x64", time(runs: runs) { _ = video.pixelNorm() }, "")
}
if mode == "norms" { benchNorms(runs: runs) }

/// The VAE decoder's depth-to-space upsample (2x2x2, ltx-core's channel order) on a large
/// activation, beside `torch_ops_bench.py shuffle` (einops-style view, permute, contiguous).
func benchShuffle(runs: Int) {
    let x = random([1, 1024, 5, 32, 32], seed: 22)
    report("depth_to_space_2x2x2_1024x5x32x32", time(runs: runs) { _ = x.depthToSpace([2, 2, 2]) }, "20 MiB in, 20 MiB out")
    let big = random([1, 512, 9, 64, 64], seed: 23)
    report("depth_to_space_2x2x2_512x9x64x64", time(runs: runs) { _ = big.depthToSpace([2, 2, 2]) }, "72 MiB in, 72 MiB out")
}
if mode == "shuffle" { benchShuffle(runs: runs) }


/// bf16 storage: the linear layer and attention with bf16 operands (widened to float32 for
/// the kernels, the result rounded to bf16), beside the float32 figures of `all`.
func benchBF16(runs: Int) {
    for (rows, inF, outF) in [(1408, 4096, 4096)] {
        let x = random([rows, inF], seed: 1).to(dtype: .bf16), w = random([outF, inF], seed: 2).to(dtype: .bf16)
        let gflop = 2 * Double(rows) * Double(inF) * Double(outF) / 1e9
        let ms = time(runs: runs) { _ = x.linear(weight: w) }
        report("bf16_linear_\(rows)x\(inF)x\(outF)", ms, String(format: "%.0f GFLOP/s", gflop / ms * 1e3))
    }
    let (heads, dim, tokens) = (32, 128, 1408)
    let q = random([1, tokens, heads * dim], seed: 4).to(dtype: .bf16)
    let k = random([1, tokens, heads * dim], seed: 5).to(dtype: .bf16)
    let v = random([1, tokens, heads * dim], seed: 6).to(dtype: .bf16)
    report("bf16_attention_32x128x1408", time(runs: runs) { _ = Tensor.attention(query: q, key: k, value: v, heads: heads) }, "")
}
if mode == "bf16" { benchBF16(runs: runs) }

/// oneDNN's two bf16 kernels for the transformer's linear shapes, interleaved in one process:
/// its first choice (the AMX brgemm on AMX CPUs) and the `gemm:jit` kernel that `linear` now
/// prefers for long products (`OneDNN.gemmPreferredDepth`); prints both medians and the ratio.
func benchOneDNNGemm(runs: Int) {
    for (rows, inF, outF) in [
        (1408, 2048, 2048), (1408, 8192, 2048), (128, 2048, 2048), (1408, 2048, 8192), (640, 512, 128), (1408, 4096, 4096),
        (1408, 4096, 16384),
    ] {
        let x = random([rows, inF], seed: 1).to(dtype: .bf16), w = random([outF, inF], seed: 2).to(dtype: .bf16)
        let run = { (gemm: Bool) in { () -> Void in
            OneDNN.prefersGemmKernel = gemm
            _ = x.linear(weight: w)
        } }
        let ms = timeInterleaved(runs: runs, [run(false), run(true)])
        let chosen = OneDNN.lastImplementation
        OneDNN.prefersGemmKernel = true
        report(
            "bf16_linear_\(rows)x\(inF)x\(outF)", ms[1],
            String(format: "first choice %.2f ms; preferred (%@) / first choice %.3f", ms[0], chosen, ms[1] / ms[0]))
    }
}
if mode == "onednn-gemm" { benchOneDNNGemm(runs: runs) }

/// bf16 attention with its tiles on AMX (`AMXTileProducts`) and on oneDNN's matmul, interleaved
/// in one process, at the small transformer's heads (32 x 64) and LTX-2's (32 x 128), 1408
/// tokens; prints both medians and the ratio.
func benchAMXAttention(runs: Int) {
    for (heads, dim) in [(32, 64), (32, 128)] {
        let tokens = 1408
        let q = random([1, tokens, heads * dim], seed: 4).to(dtype: .bf16)
        let k = random([1, tokens, heads * dim], seed: 5).to(dtype: .bf16)
        let v = random([1, tokens, heads * dim], seed: 6).to(dtype: .bf16)
        let run = { (amx: Bool) in { () -> Void in
            AMXTileProducts.enabled = amx
            _ = Tensor.attention(query: q, key: k, value: v, heads: heads)
        } }
        let ms = timeInterleaved(runs: runs, [run(false), run(true)])
        AMXTileProducts.enabled = true
        report(
            "bf16_attention_\(heads)x\(dim)x\(tokens)", ms[1],
            String(format: "oneDNN tiles %.2f ms; AMX / oneDNN %.3f", ms[0], ms[1] / ms[0]))
    }
}
if mode == "amx-attention" { benchAMXAttention(runs: runs) }

/// float32 attention with oneDNN's brgemm tiles on dense head copies against OpenBLAS's
/// `sgemm` on the heads in place, alternating in one process: the small transformer's heads
/// (32 x 64, 1408 tokens), LTX-2's (32 x 128) and the tiny transformer's (4 x 32, 640 tokens).
func benchFloatAttentionTiles(runs: Int) {
    for (heads, dim, tokens) in [(32, 64, 1408), (32, 128, 1408), (4, 32, 640)] {
        let q = random([1, tokens, heads * dim], seed: 4), k = random([1, tokens, heads * dim], seed: 5)
        let v = random([1, tokens, heads * dim], seed: 6)
        let run = { (onednn: Bool) in { () -> Void in
            OneDNNFloatTileProducts.enabled = onednn
            _ = Tensor.attention(query: q, key: k, value: v, heads: heads)
        } }
        let ms = timeInterleaved(runs: tokens > 1000 ? runs : runs * 20, [run(false), run(true)])
        OneDNNFloatTileProducts.enabled = true
        report(
            "f32_attention_\(heads)x\(dim)x\(tokens)", ms[1],
            String(format: "sgemm tiles %.3f ms; oneDNN / sgemm %.3f", ms[0], ms[1] / ms[0]))
    }
}
if mode == "f32-attention" { benchFloatAttentionTiles(runs: runs) }
