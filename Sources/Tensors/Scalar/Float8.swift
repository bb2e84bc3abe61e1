/// 8-bit float formats that checkpoints use for weights (`F8_E4M3`, `F8_E5M2`): decoding
/// (every op upcasts fp8 on use) and encoding (`Tensor.to(dtype:)` to fp8).
public enum Float8 {
    /// Decodes `F8_E4M3` (torch `float8_e4m3fn`): bias 7, no infinities, and
    /// `S.1111.111` is NaN; the largest finite value is 448.
    @inlinable
    public static func floatFromE4M3(_ bits: UInt8) -> Float {
        e4m3Table[Int(bits)]
    }

    /// Decodes `F8_E5M2` (torch `float8_e5m2`): the upper byte of an IEEE binary16, so it
    /// has the same exponent bias (15), infinities and NaNs.
    @inlinable
    public static func floatFromE5M2(_ bits: UInt8) -> Float {
        HalfFloat.float(fromBits: UInt16(bits) << 8)
    }

    @usableFromInline
    static let e4m3Table: [Float] = (0..<256).map { code in
        let negative = code & 0x80 != 0
        let exponent = (code >> 3) & 0xF
        let mantissa = code & 0x7
        let magnitude: Float
        if exponent == 0xF && mantissa == 0x7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = Float(mantissa) / 8 * 0x1p-6
        } else {
            magnitude = (1 + Float(mantissa) / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}

extension Float8 {
    /// The `F8_E4M3` (torch `float8_e4m3fn`) code nearest to `value`, ties to even. Values
    /// whose magnitude rounds above 448 become NaN (the format has no infinity), as torch's
    /// conversion does.
    public static func e4m3Bits(from value: Float) -> UInt8 {
        if value.isNaN { return 0x7F }
        let sign: UInt8 = value.sign == .minus ? 0x80 : 0
        let m = abs(value)
        // Positive finite codes 0...0x7E are increasing in value; find the nearest.
        var lo = 0, hi = 0x7E
        if m >= 464 { return sign | 0x7F }  // halfway between 448 and the next step (480)
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if e4m3Table[mid] <= m { lo = mid } else { hi = mid - 1 }
        }
        var code = lo
        if code < 0x7E {
            let below = e4m3Table[code], above = e4m3Table[code + 1]
            if m - below > above - m || (m - below == above - m && code & 1 == 1) { code += 1 }
        }
        return sign | UInt8(code)
    }

    /// The `F8_E5M2` (torch `float8_e5m2`) code nearest to `value`, ties to even; overflow
    /// gives ±inf as for binary16.
    public static func e5m2Bits(from value: Float) -> UInt8 {
        let h = HalfFloat.bits(from: value)
        if value.isNaN { return UInt8(truncatingIfNeeded: h >> 8) | 0x02 }
        if h & 0x7C00 == 0x7C00 { return UInt8(truncatingIfNeeded: h >> 8) }  // ±inf
        let rounded = UInt32(h) + 0x7F + UInt32((h >> 8) & 1)
        return UInt8(truncatingIfNeeded: rounded >> 8)
    }
}
