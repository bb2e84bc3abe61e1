import Tensors

/// Float pixels to 8 bits, the way ltx-core's `convert_to_uint8` does it
/// (`ltx_core/model/video_vae/video_vae.py`):
/// `(((x + 1) / 2).clamp(0, 1) * 255).to(torch.uint8)` on a bf16 tensor. Each elementwise op
/// rounds its result to bf16, and the final cast truncates toward zero: 0.999 becomes 254, not
/// 255. NaN becomes 0 (PyTorch leaves it undefined).
enum EightBit {
    @inlinable
    static func ltx(_ x: Float) -> UInt8 {
        let v = BFloat16.round(x)
        let a = BFloat16.round(v + 1)
        let b = BFloat16.round(a / 2)
        guard !b.isNaN else { return 0 }
        let c = min(max(b, 0), 1)
        let d = BFloat16.round(c * 255)
        return UInt8(d)  // d is in 0...255: truncation is the conversion
    }

    /// `ltx(x)` depends on `x` only through `bf16(x)`, so one table over all 65536 bf16 bit
    /// patterns answers every input with one rounding and one lookup.
    static let table: [UInt8] = (0...UInt16.max).map { ltx(BFloat16.float(fromBits: $0)) }

    /// Packs frame `f` of a `[1, 3, F, H, W]` (or `[3, F, H, W]`) tensor as 8-bit RGB rows of
    /// `rowBytes` bytes (at least `width * 3`). Eight values at a time (`ltx8`), the row's
    /// tail through `table`; both give `ltx` exactly.
    static func packedFrame(
        _ pixels: UnsafeBufferPointer<Float>, frames: Int, frame f: Int, width: Int, height: Int, rowBytes: Int,
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let plane = width * height
        let r = pixels.baseAddress! + (0 * frames + f) * plane
        let g = pixels.baseAddress! + (1 * frames + f) * plane
        let b = pixels.baseAddress! + (2 * frames + f) * plane
        let wide = width / 8 * 8
        table.withUnsafeBufferPointer { lut in
            for y in 0..<height {
                let row = out + y * rowBytes
                let o = y * width
                var x = 0
                while x < wide {
                    let rv = ltx8(UnsafeRawPointer(r + o + x).loadUnaligned(as: SIMD8<Float>.self))
                    let gv = ltx8(UnsafeRawPointer(g + o + x).loadUnaligned(as: SIMD8<Float>.self))
                    let bv = ltx8(UnsafeRawPointer(b + o + x).loadUnaligned(as: SIMD8<Float>.self))
                    // One 4-byte store a pixel (R, G, B and a stray byte the next pixel's
                    // store overwrites). The last pixel's stray byte would land past the
                    // buffer when this block ends the last row of a tight buffer: bytes there.
                    let words = rv | (gv &<< 8) | (bv &<< 16)
                    let p = UnsafeMutableRawPointer(row + 3 * x)
                    for i in 0..<7 { p.storeBytes(of: words[i], toByteOffset: 3 * i, as: UInt32.self) }
                    if x + 8 < width || rowBytes > 3 * width || y < height - 1 {
                        p.storeBytes(of: words[7], toByteOffset: 21, as: UInt32.self)
                    } else {
                        p.storeBytes(of: UInt8(truncatingIfNeeded: rv[7]), toByteOffset: 21, as: UInt8.self)
                        p.storeBytes(of: UInt8(truncatingIfNeeded: gv[7]), toByteOffset: 22, as: UInt8.self)
                        p.storeBytes(of: UInt8(truncatingIfNeeded: bv[7]), toByteOffset: 23, as: UInt8.self)
                    }
                    x += 8
                }
                while x < width {
                    row[3 * x] = lut[Int(BFloat16.bits(from: r[o + x]))]
                    row[3 * x + 1] = lut[Int(BFloat16.bits(from: g[o + x]))]
                    row[3 * x + 2] = lut[Int(BFloat16.bits(from: b[o + x]))]
                    x += 1
                }
            }
        }
    }

    /// `ltx` on eight values, with the bf16 rounding done on the bit patterns (round to
    /// nearest, ties to even: add `0x7FFF` plus the lowest kept bit, drop the low 16 bits).
    /// Only NaN inputs can make a NaN on the way (they give 0, as `ltx` does); infinities and
    /// values that round up to infinity clamp like `ltx`'s. Results are 0...255 in each lane.
    @inline(__always)
    static func ltx8(_ x: SIMD8<Float>) -> SIMD8<UInt32> {
        @inline(__always) func bf16(_ v: SIMD8<Float>) -> SIMD8<Float> {
            let bits = unsafeBitCast(v, to: SIMD8<UInt32>.self)
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) & 0xFFFF_0000
            return unsafeBitCast(rounded, to: SIMD8<Float>.self)
        }
        let v = bf16(x)
        let a = bf16(v + 1)
        let b = bf16(a * 0.5)  // the same correctly rounded value as a / 2
        let c = b.replacing(with: 0, where: b .< 0).replacing(with: 1, where: b .> 1)
        let d = bf16(c * 255)
        // d is in 0...255 (or -0, or NaN from a NaN input): truncate on the bits. The
        // integer part is the 24-bit significand shifted right by 23 - exponent; below 1
        // the shift is capped at 24, which leaves 0.
        let magnitude = unsafeBitCast(d, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF
        let shift = pointwiseMin(150 &- (magnitude &>> 23), SIMD8(repeating: 24))
        let levels = ((magnitude & 0x7F_FFFF) | 0x80_0000) &>> shift
        return levels.replacing(with: 0, where: x .!= x)
    }
}
