import Foundation

/// torch's CPU generator (`torch.Generator().manual_seed(seed)`) and its `normal_` kernel
/// (aten/src/ATen/native/cpu/DistributionTemplates.h), as `torch.randn` runs it.
///
/// - 16 or more elements: one 32-bit word per element becomes a uniform (24 bits for float32,
///   8 for bf16), then Box-Muller over blocks of 16 (u1 from the first 8, u2 from the next 8);
///   a size that is not a multiple of 16 draws 16 fresh uniforms for the last 16 elements and
///   recomputes them. float32 uses avx_mathfun's polynomials on AVX2 builds (`.avx2`, every
///   x86-64 machine with AVX2; AVX-512 machines use the AVX2 kernel too) and libm's
///   `logf`/`cosf`/`sinf` otherwise (`.scalar`); bf16 always runs the scalar code in bf16
///   arithmetic, each operation rounded to bf16.
/// - fewer than 16 elements: one double-precision Box-Muller pair per two elements from two
///   64-bit draws, the second value cached in the generator for the next element (also of the
///   next draw), rounded to the dtype at the end.
public struct TorchCPUGenerator: Sendable, Equatable {
    /// Which compiled `normal_` kernel float32 draws of 16+ elements reproduce.
    public enum FloatKernel: Sendable, Equatable {
        /// `normal_fill_AVX2`: x86-64 with AVX2 (the kernel AVX-512 machines dispatch to as well).
        case avx2
        /// `normal_fill` with the C library's `logf`/`cosf`/`sinf` (builds without AVX2, e.g.
        /// arm64); matches torch only where both use the same libm.
        case scalar
    }

    public private(set) var engine: MT19937
    /// The cached second value of the last double Box-Muller pair (`next_double_normal_sample`).
    public private(set) var cachedNormal: Double?
    public var floatKernel: FloatKernel

    public init(seed: UInt64, floatKernel: FloatKernel = .avx2) {
        engine = MT19937(seed: seed)
        cachedNormal = nil
        self.floatKernel = floatKernel
    }

    /// The values `torch.randn(count, generator=g, dtype=…)` gives, as float32 (bf16 values are
    /// exact in float32), advancing the generator as torch does.
    public mutating func normalScalars(count: Int, dtype: DType) -> [Float] {
        require(dtype == .f32 || dtype == .bf16, "TorchCPUGenerator: randn supports f32 and bf16, not \(dtype)")
        guard count >= 16 else { return (0..<count).map { _ in round(nextDoubleNormal(), dtype) } }
        let bits = dtype == .f32 ? 24 : 8
        var data = (0..<count).map { _ in uniform(bits: bits) }
        var i = 0
        while i < count - 15 {
            fill16(&data, at: i, dtype: dtype)
            i += 16
        }
        if count % 16 != 0 {
            for k in (count - 16)..<count { data[k] = uniform(bits: bits) }
            fill16(&data, at: count - 16, dtype: dtype)
        }
        return data
    }

    private static func round(_ x: Float, _ dtype: DType) -> Float { dtype == .bf16 ? BFloat16.round(x) : x }
    private func round(_ x: Double, _ dtype: DType) -> Float { Self.round(Float(x), dtype) }

    /// `uniform_real_distribution<T>(0, 1)`: the low `bits` bits of one word, scaled by 2^-bits.
    private mutating func uniform(bits: Int) -> Float {
        Float(engine.nextWord() & (UInt32(1) << bits - 1)) * Float(sign: .plus, exponent: -bits, significand: 1)
    }

    /// `normal_distribution<double>(0, 1)` with the generator's cache.
    private mutating func nextDoubleNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let scale = Double(sign: .plus, exponent: -53, significand: 1)
        let u1 = Double(engine.nextWord64() & (UInt64(1) << 53 - 1)) * scale
        let u2 = Double(engine.nextWord64() & (UInt64(1) << 53 - 1)) * scale
        let r = (-2.0 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    private func fill16(_ data: inout [Float], at base: Int, dtype: DType) {
        if dtype == .f32 && floatKernel == .avx2 {
            let twoPi = Float(2 * Double.pi)
            for j in 0..<8 {
                let u1 = 1 - data[base + j]
                let radius = (-2 * CephesMath.log(u1)).squareRoot()
                let (s, c) = CephesMath.sincos(twoPi * data[base + j + 8])
                data[base + j] = radius * c + 0  // fmadd(n, std 1, mean 0): exact, -0 becomes +0
                data[base + j + 8] = radius * s + 0
            }
            return
        }
        // normal_fill_16<scalar_t>: every operation in scalar_t (bf16 rounds after each).
        let r: (Float) -> Float = { Self.round($0, dtype) }
        for j in 0..<8 {
            let u1 = r(1 - data[base + j])
            let u2 = data[base + j + 8]
            let radius = r(r(-2 * r(Foundation.log(u1))).squareRoot())
            let theta = r(Float(2 * Double.pi * Double(u2)))  // computed in double
            data[base + j] = r(r(r(radius * r(Foundation.cos(theta))) * 1) + 0)
            data[base + j + 8] = r(r(r(radius * r(Foundation.sin(theta))) * 1) + 0)
        }
    }
}
