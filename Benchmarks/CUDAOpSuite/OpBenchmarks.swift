import CUDABackend
import Foundation
import ReelflowTestSupport
import Tensors
import TensorsTestSupport

/// `cuda-op-suite --bench`: the CUDA backend's ops at the LTX-2.3 transformer's and VAE's
/// sizes in bf16, each the median of `runs` timed calls (the stream synchronised around each).
/// Prints one JSON line per op; tools/gpu/op_bench.py times the same ops with PyTorch in the
/// same run and prints both with the ratio.
func runOpBenchmarks(_ gpu: CUDABackend, runs: Int = 15) {
    let cuda = Device.cuda(0)
    var rng = SeededRandom(seed: 1)
    func r(_ shape: [Int], _ scale: Float = 1) -> Tensor {
        // Drawn small on the host and tiled on the GPU: the values do not matter for timing.
        let n = shape.reduce(1, *)
        let base = rng.tensor([min(n, 1 << 16)], scale: scale).to(dtype: .bf16).to(device: cuda)
        let reps = (n + base.count - 1) / base.count
        let tiled = Tensor.concatenated(Array(repeating: base, count: reps), axis: 0)
        return tiled.sliced(axis: 0, 0..<n).reshaped(shape)
    }
    func time(_ name: String, flops: Double = 0, _ body: () -> Tensor) {
        _ = body()
        gpu.synchronize()
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            _ = body()
            gpu.synchronize()
            let d = ContinuousClock.now - start
            samples.append(d.inSeconds * 1e3)
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let tflops = flops > 0 ? String(format: ", \"tflops\": %.1f", flops / median / 1e9) : ""
        print("{\"op\": \"\(name)\", \"ms\": \(String(format: "%.3f", median))\(tflops)}")
        fflush(nil)
    }
    let tokens = 5632, width = 4096, heads = 32
    let x = r([1, tokens, width]), wq = r([width, width], 0.02), bq = r([width])
    let wff = r([4 * width, width], 0.02)
    time("linear 5632x4096 -> 4096 (+bias)", flops: 2 * Double(tokens * width * width)) { x.linear(weight: wq, bias: bq) }
    time("linear 5632x4096 -> 16384", flops: 2 * Double(tokens * width * 4 * width)) { x.linear(weight: wff) }
    let (q, k, v) = (r([1, tokens, width]), r([1, tokens, width]), r([1, tokens, width]))
    time("attention 5632 tokens, 32 x 128", flops: 4 * Double(tokens * tokens * width)) {
        Tensor.attention(query: q, key: k, value: v, heads: heads)
    }
    let ctx = r([1, 1024, width])
    time("cross-attention 5632 x 1024 tokens", flops: 4 * Double(tokens * 1024 * width)) {
        Tensor.attention(query: q, key: ctx, value: ctx, heads: heads)
    }
    // The wide variant of the tensor-core kernel (128 query rows per block of 8 warps).
    let rows = gpu.flashRowsPerBlock
    gpu.flashRowsPerBlock = rows == 128 ? 64 : 128
    let other = "[\(gpu.flashRowsPerBlock) rows per block]"
    time("attention 5632 tokens, 32 x 128 \(other)", flops: 4 * Double(tokens * tokens * width)) {
        Tensor.attention(query: q, key: k, value: v, heads: heads)
    }
    time("cross-attention 5632 x 1024 tokens \(other)", flops: 4 * Double(tokens * 1024 * width)) {
        Tensor.attention(query: q, key: ctx, value: ctx, heads: heads)
    }
    gpu.flashRowsPerBlock = rows
    let scale = r([1, 1, width]), shift = r([1, 1, width]), gain = r([width])
    time("rms_norm 5632x4096") { x.rmsNorm(weight: gain, eps: 1e-6) }
    time("modulate 5632x4096") { x.modulated(scale: scale, shift: shift) }
    time("gelu_tanh 5632x16384") { x.linear(weight: wff).geluTanh() }
    let video = r([1, 128, 9, 128, 128]), kernel = r([128, 128, 3, 3, 3], 0.02), kbias = r([128])
    let convFlops = 2 * Double(128 * 128 * 27) * Double(9 * 128 * 128)
    time("causal conv3d 128->128 at 9x128x128", flops: convFlops) { video.causalConv3d(weight: kernel, bias: kbias) }
    time("group_norm 32 groups at 128x9x128x128") { video.groupNorm(groups: 32, weight: nil, bias: nil, eps: 1e-6) }
    print("{\"op\": \"peak pool MiB\", \"ms\": \(gpu.peakMemoryBytes >> 20)}")
}
