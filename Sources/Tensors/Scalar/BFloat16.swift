/// bfloat16 conversions. bf16 is the upper half of an IEEE float32; rounding from float32
/// is round-to-nearest-even, as torch's `.to(torch.bfloat16)` does, and NaN stays NaN.
public enum BFloat16 {
    /// The bf16 bit pattern nearest to `value` (round to nearest, ties to even).
    @inlinable
    public static func bits(from value: Float) -> UInt16 {
        let b = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (b >> 16) | 0x40) }
        let rounding: UInt32 = 0x7FFF + ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
    }

    /// The float32 value of a bf16 bit pattern (exact).
    @inlinable
    public static func float(fromBits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` rounded to the nearest bf16 and widened back to float32.
    @inlinable
    public static func round(_ value: Float) -> Float {
        float(fromBits: bits(from: value))
    }
}
