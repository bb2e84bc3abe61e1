import Foundation

/// torch's CUDA generator (`torch.Generator("cuda").manual_seed(seed)`) and its `normal_`
/// kernel (aten/src/ATen/native/cuda/DistributionTemplates.h), emulated on the host.
///
/// torch launches `min(SMs × (maxThreadsPerSM / 256), ⌈n / 256⌉)` blocks of 256 threads; thread
/// t runs `curand_init(seed, t, offset)` and a grid-stride loop in which each `curand_normal4`
/// call (one Philox block, two Box-Muller pairs) fills elements `i, i + S, i + 2S, i + 3S`
/// (S = the thread count), then moves on by 4S. Each draw advances the generator's offset by
/// `4 · ⌈n / 4S⌉`. Below the cap (n ≤ SMs × maxThreadsPerSM) every element is the first value of
/// its own thread's first block, whatever the GPU; above it the assignment depends on the SM
/// count and threads per SM, so those draws match only GPUs with the same two numbers.
///
/// The Philox words and the uniforms are exact; the Box-Muller step uses the host's `logf` and
/// a correctly rounded sin/cos where the GPU uses its `logf` and the `__sincosf` intrinsic, so a
/// value can differ from the GPU's in the last bits (docs/noise.md gives the measured bound).
public struct TorchCUDAGenerator: Sendable, Equatable {
    public let seed: UInt64
    /// The Philox offset of the next draw, in 32-bit words (torch's `get_offset()`).
    public private(set) var offset: UInt64
    public let multiprocessors: Int
    public let threadsPerMultiprocessor: Int

    public static let blockSize = 256

    public init(seed: UInt64, multiprocessors: Int = 132, threadsPerMultiprocessor: Int = 2048, offset: UInt64 = 0) {
        require(multiprocessors > 0 && threadsPerMultiprocessor >= Self.blockSize, "TorchCUDAGenerator: bad GPU shape")
        require(offset % 4 == 0, "TorchCUDAGenerator: offset \(offset) is not a multiple of 4")
        self.seed = seed
        self.offset = offset
        self.multiprocessors = multiprocessors
        self.threadsPerMultiprocessor = threadsPerMultiprocessor
    }

    /// The most threads torch launches on this GPU: above this many elements, draws depend on it.
    public var gridCap: Int { multiprocessors * (threadsPerMultiprocessor / Self.blockSize) * Self.blockSize }

    /// The launch for `count` elements: thread count S and the offset increment.
    public func launch(count: Int) -> (threads: Int, offsetIncrement: UInt64) {
        let blocks = min(multiprocessors * (threadsPerMultiprocessor / Self.blockSize), (count + Self.blockSize - 1) / Self.blockSize)
        let threads = blocks * Self.blockSize
        let calls = (count - 1) / (threads * 4) + 1
        return (threads, UInt64(calls * 4))
    }

    /// Advances the offset past a draw of `count` elements made elsewhere (on the GPU).
    public mutating func skip(count: Int) {
        guard count > 0 else { return }
        offset += launch(count: count).offsetIncrement
    }

    /// The values `torch.randn(count, generator=g, dtype=…, device="cuda")` gives, as float32
    /// (bf16 values are exact in float32), advancing the offset as torch does.
    public mutating func normalScalars(count: Int, dtype: DType) -> [Float] {
        require(dtype == .f32 || dtype == .bf16, "TorchCUDAGenerator: randn supports f32 and bf16, not \(dtype)")
        guard count > 0 else { return [] }
        let (threads, increment) = launch(count: count)
        let base = offset
        offset += increment
        var out = [Float](repeating: 0, count: count)
        let stride = threads * 4
        let rounded = (count - 1) / stride * stride + stride
        out.withUnsafeMutableBufferPointer { out in
            for t in 0..<min(threads, count) {
                var philox = Philox4x32(seed: seed, subsequence: UInt64(t), offset: base)
                var i = t
                while i < rounded {
                    let w = philox.nextBlock()
                    if i < count {
                        let (a, b) = Self.boxMuller(w.0, w.1, pairNeeded: i + threads < count)
                        out[i] = a
                        if i + threads < count { out[i + threads] = b }
                    }
                    if i + 2 * threads < count {
                        let (c, d) = Self.boxMuller(w.2, w.3, pairNeeded: i + 3 * threads < count)
                        out[i + 2 * threads] = c
                        if i + 3 * threads < count { out[i + 3 * threads] = d }
                    }
                    i += stride
                }
            }
            if dtype == .bf16 {
                for k in out.indices { out[k] = BFloat16.round(out[k]) }
            }
        }
        return out
    }

    /// The uniforms cuRAND's `_curand_box_muller` forms from two words (exact: the device
    /// contracts `x * 2^-32 + 2^-33` and `y * (2^-32 · 2π) + half` into fused multiply-adds).
    public static func boxMullerUniforms(_ x: UInt32, _ y: UInt32) -> (u: Float, v: Float) {
        let inv = Float(bitPattern: 0x2F80_0000)  // CURAND_2POW32_INV = 2^-32
        let inv2pi = Float(bitPattern: 0x30C9_0FDB)  // CURAND_2POW32_INV_2PI, folded in float
        return ((inv / 2).addingProduct(Float(x), inv), (inv2pi / 2).addingProduct(Float(y), inv2pi))
    }

    /// One Box-Muller pair: (s · sin v, s · cos v) with s = sqrt(-2 log u).
    public static func boxMuller(_ x: UInt32, _ y: UInt32, pairNeeded: Bool = true) -> (Float, Float) {
        let (u, v) = boxMullerUniforms(x, y)
        let s = (-2 * Foundation.log(u)).squareRoot()
        let angle = Double(v)
        let sine = Float(Foundation.sin(angle))
        return (sine * s + 0, pairNeeded ? Float(Foundation.cos(angle)) * s + 0 : 0)
    }
}
