import Foundation

/// Building RoPE tables from angles, as ltx-core's `interleaved_freqs_cis` and
/// `split_freqs_cis` do. Computing the angles themselves (positions, fractions, the
/// precision of each step) is model code: see the reading map's precision trap. The tables are
/// built on the host in float32 and placed on the angles' device.
public enum RoPE {
    /// cos/sin tables for `layout` from `angles [B, T, n]` (ltx-core's `freqs`, ordered
    /// frequency-major, axis-minor) for a width of `width` channels and `heads` heads.
    /// - interleaved: each cos/sin value repeated twice, then `width mod (2*axes)` leading
    ///   channels of cos 1 / sin 0 (`axes` = 3 for (t, h, w)) -> `[B, T, width]`.
    /// - split: `width/2 - n` leading channels of cos 1 / sin 0, reshaped to heads ->
    ///   `[B, heads, T, width/(2*heads)]`.
    public static func tables(
        angles: Tensor, width: Int, heads: Int, layout: RoPELayout, positionAxes: Int = 3
    ) -> (cos: Tensor, sin: Tensor) {
        precondition(angles.rank == 3, "RoPE angles must be [B, T, n], got \(angles.shape)")
        let (b, t, n) = (angles.shape[0], angles.shape[1], angles.shape[2])
        let a = angles.hostScalars()
        switch layout {
        case .interleaved:
            let pad = width % (2 * positionAxes)
            precondition(pad + 2 * n == width, "interleaved RoPE: \(n) angles do not fill width \(width)")
            var c = [Float](repeating: 1, count: b * t * width), s = [Float](repeating: 0, count: b * t * width)
            fillTrig(a, rows: b * t, count: n, rowStride: width, offset: pad, spread: 2, cos: &c, sin: &s)
            return (Tensor(shape: [b, t, width], scalars: c).to(device: angles.device), Tensor(shape: [b, t, width], scalars: s).to(device: angles.device))
        case .split:
            let halfWidth = width / 2
            precondition(width % 2 == 0 && n <= halfWidth, "split RoPE: \(n) angles do not fit width \(width)")
            precondition(halfWidth % heads == 0, "split RoPE: width \(width) does not split into \(heads) heads")
            let pad = halfWidth - n
            var c = [Float](repeating: 1, count: b * t * halfWidth), s = [Float](repeating: 0, count: b * t * halfWidth)
            fillTrig(a, rows: b * t, count: n, rowStride: halfWidth, offset: pad, spread: 1, cos: &c, sin: &s)
            // [B, T, H, d/2] -> [B, H, T, d/2]
            let perHead = halfWidth / heads
            let cos = Tensor(shape: [b, t, heads, perHead], scalars: c).permuted([0, 2, 1, 3])
            let sin = Tensor(shape: [b, t, heads, perHead], scalars: s).permuted([0, 2, 1, 3])
            return (cos.to(device: angles.device), sin.to(device: angles.device))
        }
    }

    /// cos and sin of `count` angles per row of `angles`: angle j of row r goes to the
    /// `spread` entries from `r·rowStride + offset + j·spread`. Rows run in parallel (millions
    /// of sin/cos at full size, the GPU idle meanwhile); every value is the same as in order.
    private static func fillTrig(
        _ angles: [Float], rows: Int, count n: Int, rowStride: Int, offset: Int, spread: Int,
        cos c: inout [Float], sin s: inout [Float]
    ) {
        guard rows > 0 && n > 0 else { return }
        c.withUnsafeMutableBufferPointer { cb in
            s.withUnsafeMutableBufferPointer { sb in
                let (cp, sp) = (cb.baseAddress!, sb.baseAddress!)
                parallelFor(rows, grain: 64) { range in
                    for row in range {
                        for j in 0..<n {
                            let angle = angles[row * n + j]
                            let (cv, sv) = (Foundation.cos(angle), Foundation.sin(angle))
                            let at = row * rowStride + offset + j * spread
                            for k in 0..<spread {
                                cp[at + k] = cv
                                sp[at + k] = sv
                            }
                        }
                    }
                }
            }
        }
    }
}
