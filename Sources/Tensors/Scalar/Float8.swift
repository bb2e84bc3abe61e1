/// 8-bit float formats that checkpoints use for weights (`F8_E4M3`, `F8_E5M2`). Only
/// decoding is needed: such weights are upcast to float32 on read.
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
