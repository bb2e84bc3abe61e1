import Foundation

/// The two rotary-embedding layouts of ltx-core (`LTXRopeType`).
public enum RoPELayout: String, Sendable, CaseIterable {
    /// Pairs `(2i, 2i+1)` over the whole width are rotated (ltx-core's default, LTX-2):
    /// `y[2i] = x[2i]·c - x[2i+1]·s`, `y[2i+1] = x[2i+1]·c + x[2i]·s`, with cos/sin tables
    /// `[B, T, D]` whose entries come in equal pairs.
    case interleaved
    /// Each head's vector is split into halves `[x1 | x2]` (LTX-2.3):
    /// `y1 = x1·c - x2·s`, `y2 = x2·c + x1·s`, with cos/sin tables `[B, H, T, d/2]`.
    case split
}

extension Tensor {
    /// Rotary position embedding over the full width of `[B, T, D]` (ltx-core applies it to
    /// q and k before the heads are split). `cos`/`sin` are the tables ltx-core's
    /// `precompute_freqs_cis` returns for the layout; their batch extent may be 1.
    /// - interleaved: tables `[B, T, D]`.
    /// - split: tables `[B, H, T, D/(2H)]`; head h of token t uses row `[b, h, t]`.
    public func applyingRoPE(cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        precondition(rank == 3, "RoPE expects [B, T, D], got \(shape)")
        precondition(cos.shape == sin.shape, "RoPE cos \(cos.shape) and sin \(sin.shape) differ")
        let (b, t, width) = (shape[0], shape[1], shape[2])
        let tableBatch = cos.shape.first ?? 0
        precondition(tableBatch == b || tableBatch == 1, "RoPE table batch \(tableBatch) does not fit \(b)")
        switch layout {
        case .interleaved:
            precondition(
                cos.shape == [tableBatch, t, width] && width % 2 == 0,
                "interleaved RoPE expects tables [B, \(t), \(width)], got \(cos.shape)")
        case .split:
            precondition(cos.rank == 4, "split RoPE expects tables [B, H, T, d/2], got \(cos.shape)")
            let heads = cos.shape[1], half = cos.shape[3]
            precondition(
                cos.shape[2] == t && heads * half * 2 == width,
                "split RoPE tables \(cos.shape) do not fit [B, \(t), \(width)]")
        }
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { xp in
                cos.withUnsafeBufferPointer { cp in
                    sin.withUnsafeBufferPointer { sp in
                        let x = xp.baseAddress, y = out.baseAddress, c = cp.baseAddress, s = sp.baseAddress
                        parallelFor(b * t, grain: max(1, 8192 / max(1, width))) { range in
                            for row in range {
                                let bi = row / t, ti = row % t
                                let xr = x! + row * width, yr = y! + row * width
                                let tb = tableBatch == 1 ? 0 : bi
                                switch layout {
                                case .interleaved:
                                    let cr = c! + (tb * t + ti) * width, sr = s! + (tb * t + ti) * width
                                    var i = 0
                                    while i < width {
                                        let x0 = xr[i], x1 = xr[i + 1]
                                        yr[i] = x0 * cr[i] - x1 * sr[i]
                                        yr[i + 1] = x1 * cr[i + 1] + x0 * sr[i + 1]
                                        i += 2
                                    }
                                case .split:
                                    let heads = cos.shape[1], half = cos.shape[3]
                                    for h in 0..<heads {
                                        let off = ((tb * heads + h) * t + ti) * half
                                        let cr = c! + off, sr = s! + off
                                        let x1 = xr + h * 2 * half, x2 = x1 + half
                                        let y1 = yr + h * 2 * half, y2 = y1 + half
                                        for j in 0..<half {
                                            y1[j] = x1[j] * cr[j] - x2[j] * sr[j]
                                            y2[j] = x2[j] * cr[j] + x1[j] * sr[j]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Building RoPE tables from angles, as ltx-core's `interleaved_freqs_cis` and
/// `split_freqs_cis` do. Computing the angles themselves (positions, fractions, the
/// precision of each step) is model code: see the reading map's precision trap.
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
        let a = angles.scalars
        switch layout {
        case .interleaved:
            let pad = width % (2 * positionAxes)
            precondition(pad + 2 * n == width, "interleaved RoPE: \(n) angles do not fill width \(width)")
            var c = [Float](repeating: 1, count: b * t * width), s = [Float](repeating: 0, count: b * t * width)
            for row in 0..<(b * t) {
                for j in 0..<n {
                    let angle = a[row * n + j]
                    let (cv, sv) = (Foundation.cos(angle), Foundation.sin(angle))
                    c[row * width + pad + 2 * j] = cv
                    c[row * width + pad + 2 * j + 1] = cv
                    s[row * width + pad + 2 * j] = sv
                    s[row * width + pad + 2 * j + 1] = sv
                }
            }
            return (Tensor(shape: [b, t, width], scalars: c), Tensor(shape: [b, t, width], scalars: s))
        case .split:
            let halfWidth = width / 2
            precondition(width % 2 == 0 && n <= halfWidth, "split RoPE: \(n) angles do not fit width \(width)")
            precondition(halfWidth % heads == 0, "split RoPE: width \(width) does not split into \(heads) heads")
            let pad = halfWidth - n
            var c = [Float](repeating: 1, count: b * t * halfWidth), s = [Float](repeating: 0, count: b * t * halfWidth)
            for row in 0..<(b * t) {
                for j in 0..<n {
                    let angle = a[row * n + j]
                    c[row * halfWidth + pad + j] = Foundation.cos(angle)
                    s[row * halfWidth + pad + j] = Foundation.sin(angle)
                }
            }
            // [B, T, H, d/2] -> [B, H, T, d/2]
            let perHead = halfWidth / heads
            let cos = Tensor(shape: [b, t, heads, perHead], scalars: c).permuted([0, 2, 1, 3])
            let sin = Tensor(shape: [b, t, heads, perHead], scalars: s).permuted([0, 2, 1, 3])
            return (cos, sin)
        }
    }
}
