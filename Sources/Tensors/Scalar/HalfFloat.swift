/// IEEE binary16 (`F16`) conversions on bit patterns, written with integer operations so
/// the loops that use them vectorise (the `Float16` type's conversion calls a runtime helper
/// on baseline x86-64, without F16C).
public enum HalfFloat {
    /// The float32 value of a binary16 bit pattern (exact; NaN stays NaN, ±inf stays ±inf).
    @inlinable
    public static func float(fromBits bits: UInt16) -> Float {
        let h = UInt32(bits)
        let sign = (h & 0x8000) << 16
        let magnitude = h & 0x7FFF
        let normal = (magnitude << 13) &+ 0x3800_0000  // rebias exponent 15 -> 127
        let special = (magnitude << 13) | 0x7F80_0000  // inf or NaN
        let subnormal = Float(magnitude) * 0x1p-24
        let value: UInt32 =
            magnitude < 0x0400 ? subnormal.bitPattern : (magnitude >= 0x7C00 ? special : normal)
        return Float(bitPattern: value | sign)
    }

    /// The binary16 bit pattern nearest to `value` (round to nearest, ties to even; values
    /// beyond the range become ±inf, as torch's `.to(torch.float16)` does).
    @inlinable
    public static func bits(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// `value` rounded to the nearest binary16 and widened back to float32.
    @inlinable
    public static func round(_ value: Float) -> Float {
        float(fromBits: bits(from: value))
    }
}
