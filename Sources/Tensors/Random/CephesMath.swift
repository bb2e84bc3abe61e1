/// One lane of `log256_ps` and `sincos256_ps` from torch's `avx_mathfun.h` (the Cephes float
/// polynomials), which torch's AVX2 CPU `normal_` uses for float32 tensors of 16 or more
/// elements, bit for bit. torch builds that file with GCC, whose default `-ffp-contract=fast`
/// fuses an intrinsic multiply into the add or subtract that consumes it (GCC's intrinsics are
/// plain vector operators): each `addingProduct` below is one of those fused steps, found by
/// reading the source in statement order and confirmed against torch's output (an unfused
/// version differs in about 1 % of values). Constants are the float32 values the C
/// initialisers give (double literals rounded to float), written as bit patterns.
enum CephesMath {
    private static func f(_ bits: UInt32) -> Float { Float(bitPattern: bits) }

    /// `log256_ps` for one positive, finite input (the only inputs `normal_` gives it).
    static func log(_ input: Float) -> Float {
        let one: Float = 1
        var x = max(input, Float(bitPattern: 0x0080_0000))  // cut off denormals
        let exponent = Int32(bitPattern: x.bitPattern >> 23)
        x = Float(bitPattern: (x.bitPattern & ~0x7F80_0000) | Float(0.5).bitPattern)
        var e = Float(exponent - 0x7F)
        e = e + one
        let mask = x < f(0x3F35_04F3)  // SQRTHF
        let tmp: Float = mask ? x : 0
        x = x - one
        e = e - (mask ? one : 0)
        x = x + tmp
        let z = x * x
        var y = f(0x3D90_21BB)
        for c: UInt32 in [0xBDEB_D1B8, 0x3DEF_251A, 0xBDFE_5D4F, 0x3E11_E9BF, 0xBE2A_AE50, 0x3E4C_CEAC, 0xBE7F_FFFC, 0x3EAA_AAAA] {
            y = f(c).addingProduct(y, x)
        }
        y = y * x
        y = (e * f(0xB95E_8083)).addingProduct(y, z)  // + e * q1
        y = y.addingProduct(-z, 0.5)
        x = (x + y).addingProduct(e, f(0x3F31_8000))  // + e * q2
        return x
    }

    /// `sincos256_ps` for one input: (sin, cos).
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        var j = Int32(x * f(0x3FA2_F983))  // 4/pi, truncated like cvttps
        j = (j &+ 1) & ~1
        let y0 = Float(j)
        let swapSin = UInt32(bitPattern: (j & 4) << 29)
        let polyMask = (j & 2) == 0
        x = x.addingProduct(y0, f(0xBF49_0000))  // -DP1
        x = x.addingProduct(y0, f(0xB97D_A000))  // -DP2
        x = x.addingProduct(y0, f(0xB322_2169))  // -DP3
        let signCos = UInt32(bitPattern: (~(j &- 2) & 4) << 29)
        signSin ^= swapSin

        let z = x * x
        var y = f(0xBAB6_061A).addingProduct(f(0x37CC_F5CE), z)
        y = f(0x3D2A_AAA5).addingProduct(y, z)
        y = y * z
        y = (-(z * 0.5)).addingProduct(y, z)
        y = y + 1

        var y2 = f(0x3C08_839E).addingProduct(f(0xB94C_A1F9), z)
        y2 = f(0xBE2A_AAA3).addingProduct(y2, z)
        y2 = y2 * z
        y2 = x.addingProduct(y2, x)

        let ysin2: Float = polyMask ? y2 : 0
        let ysin1: Float = polyMask ? 0 : y
        y2 = y2 - ysin2
        y = y - ysin1
        let s = ysin1 + ysin2
        let c = y + y2
        return (Float(bitPattern: s.bitPattern ^ signSin), Float(bitPattern: c.bitPattern ^ signCos))
    }
}
