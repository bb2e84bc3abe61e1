/// Float32 math on 8-lane SIMD vectors, for the few places that need it inline in Swift
/// (attention's per-row rescaling). Swift's `exp` is a libm call per element that no loop
/// vectorises. The bulk element-wise functions (exp, sigmoid, SiLU, GELU, softmax rows) run
/// in CKernels instead, with AVX2 and FMA where the CPU has them; this exp is the same
/// Cephes algorithm.
typealias Vec = SIMD8<Float>

enum FastMath {
    /// e^x within about 2 ulp for x in [-87.3, 88.3]; 0 below -87.3 (so -inf gives 0, as a
    /// masked score must), and x is clamped at 88.3 above.
    ///
    /// Cephes `expf`: x = n ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r, and
    /// 2^n built in the exponent bits. Rounding to n uses the 1.5 * 2^23 trick, whose low
    /// mantissa bits then hold n, so no float-to-int conversion is needed.
    @inline(__always)
    static func exp(_ x: Vec) -> Vec {
        let low = Vec(repeating: -87.336_54)
        let underflow = x .< low
        // (pointwiseMin/Max are not inlined from the standard library; selects are.)
        let high = Vec(repeating: 88.3)
        let xc = x.replacing(with: low, where: underflow).replacing(with: high, where: x .> high)
        let magic = Vec(repeating: 12_582_912)  // 1.5 * 2^23
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Vec(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        // t's bit pattern is 0x4B40_0000 + n; adding 127 and shifting by 23 leaves only the
        // biased exponent n + 127 (the 0x4B4 part is shifted out).
        let bits = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &+ 127) &<< 23
        return (er * unsafeBitCast(bits, to: Vec.self)).replacing(with: 0, where: underflow)
    }

    /// e^x for one value (through the vector path, so both agree bit for bit).
    @inline(__always)
    static func exp(_ x: Float) -> Float { exp(Vec(repeating: x))[0] }

    /// `y[i] = f(x[i])` for `n` values, eight at a time (the tail goes through one padded
    /// vector).
    @inline(__always)
    static func apply(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Vec) -> Vec
    ) {
        var i = 0
        while i + 8 <= n {
            UnsafeMutableRawPointer(y + i).storeBytes(
                of: f(UnsafeRawPointer(x + i).loadUnaligned(as: Vec.self)), as: Vec.self)
            i += 8
        }
        if i < n {
            var v = Vec()
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    /// `p[i] *= factor` for `n` values.
    @inline(__always)
    static func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, by factor: Float) {
        apply(p, p, n) { $0 * factor }
    }
}
