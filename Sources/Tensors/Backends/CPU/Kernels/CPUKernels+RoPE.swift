internal import CKernels

/// The CPU RoPE kernel. `R` rounds the intermediate steps as torch's bf16 ops do
/// (`BF16Steps`; interleaved: each product, split: the first product, as `addcmul_` fuses the
/// second) or not at all (`ExactSteps`, float32).
extension Tensor {
    /// Rotary position embedding over the full width of `[B, T, D]` (ltx-core applies it to
    /// q and k before the heads are split). `cos`/`sin` are the tables ltx-core's
    /// `precompute_freqs_cis` returns for the layout; their batch extent may be 1.
    /// - interleaved: tables `[B, T, D]`.
    /// - split: tables `[B, H, T, D/(2H)]`; head h of token t uses row `[b, h, t]`.
    ///
    /// With `rmsNorm` (a float32 weight `[D]` or none, and eps), each row is first RMS-normalised
    /// (`NormRows.rms`, into a stack row) and then rotated: the bits of `cpuRMSNorm` then this,
    /// in one pass (attention's QK norm before RoPE).
    func cpuRoPE<R: StepRounding>(
        cos: Tensor, sin: Tensor, layout: RoPELayout, rounding: R.Type, rmsNorm: (weight: Tensor?, eps: Float)? = nil
    ) -> Tensor {
        let (b, t, width, tableBatch, heads, half) = ropeGeometry(cos: cos, sin: sin, layout: layout)
        let normWeight = rmsNorm?.weight?.hostScalars() ?? []
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { xp in
                cos.withUnsafeBufferPointer { cp in
                    sin.withUnsafeBufferPointer { sp in
                        normWeight.withUnsafeBufferPointer { wp in
                            let x = xp.baseAddress, y = out.baseAddress, c = cp.baseAddress, s = sp.baseAddress
                            let weight = rmsNorm?.weight == nil ? nil : wp.baseAddress
                            parallelFor(b * t, grain: max(1, 8192 / max(1, width))) { range in
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: rmsNorm == nil ? 0 : width) { normed in
                                    for row in range {
                                        var source = UnsafePointer(x! + row * width)
                                        if let (_, eps) = rmsNorm, let n = normed.baseAddress {
                                            NormRows.rms(source, n, width, eps: eps, weight: weight)
                                            source = UnsafePointer(n)
                                        }
                                        let (offset, headStride) = Tensor.ropeTableRow(
                                            row, tokens: t, tableBatch: tableBatch, heads: heads, half: half, layout: layout)
                                        if layout == .split, R.self == ExactSteps.self {
                                            // float32 split rows run in C (16 lanes with AVX-512), the same bits.
                                            reelflow_f32_rope_split_row(
                                                source, c! + offset, s! + offset, heads, half, headStride, y! + row * width)
                                            continue
                                        }
                                        Tensor.ropeRow(
                                            source, y! + row * width, cos: c! + offset, sin: s! + offset, width: width,
                                            heads: heads, half: half, headStride: headStride, layout: layout, rounding: R.self)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// This tensor's `[B, T, D]` and the tables' batch extent, heads and half width, checked
    /// against the layout.
    func ropeGeometry(cos: Tensor, sin: Tensor, layout: RoPELayout) -> (Int, Int, Int, Int, Int, Int) {
        require(rank == 3, "RoPE expects [B, T, D], got \(shape)")
        require(cos.shape == sin.shape, "RoPE cos \(cos.shape) and sin \(sin.shape) differ")
        let (b, t, width) = (shape[0], shape[1], shape[2])
        let tableBatch = cos.shape.first ?? 0
        require(tableBatch == b || tableBatch == 1, "RoPE table batch \(tableBatch) does not fit \(b)")
        switch layout {
        case .interleaved:
            require(
                cos.shape == [tableBatch, t, width] && width % 2 == 0,
                "interleaved RoPE expects tables [B, \(t), \(width)], got \(cos.shape)")
            return (b, t, width, tableBatch, 1, width / 2)
        case .split:
            require(cos.rank == 4, "split RoPE expects tables [B, H, T, d/2], got \(cos.shape)")
            let heads = cos.shape[1], half = cos.shape[3]
            require(
                cos.shape[2] == t && heads * half * 2 == width,
                "split RoPE tables \(cos.shape) do not fit [B, \(t), \(width)]")
            return (b, t, width, tableBatch, heads, half)
        }
    }

    /// Where row `row` (of `[B, T, D]`) reads its tables: the offset of its first value and
    /// the distance between its heads' table rows (split layout; 0 for interleaved).
    @inline(__always)
    static func ropeTableRow(
        _ row: Int, tokens t: Int, tableBatch: Int, heads: Int, half: Int, layout: RoPELayout
    ) -> (offset: Int, headStride: Int) {
        let tb = tableBatch == 1 ? 0 : row / t, ti = row % t
        switch layout {
        case .interleaved: return ((tb * t + ti) * 2 * half, 0)
        case .split: return ((tb * heads * t + ti) * half, t * half)
        }
    }

    /// One row's rotation: `x` and `y` are `D` values, head h's tables start at
    /// `h * headStride` (split) or the row's tables are `D` values (interleaved).
    @inline(__always)
    static func ropeRow<R: StepRounding>(
        _ xr: UnsafePointer<Float>, _ yr: UnsafeMutablePointer<Float>, cos cr: UnsafePointer<Float>, sin sr: UnsafePointer<Float>,
        width: Int, heads: Int, half: Int, headStride: Int, layout: RoPELayout, rounding _: R.Type
    ) {
        switch layout {
        case .interleaved:
            var i = 0
            while i < width {
                let x0 = xr[i], x1 = xr[i + 1]
                yr[i] = R.r(R.r(x0 * cr[i]) - R.r(x1 * sr[i]))
                yr[i + 1] = R.r(R.r(x1 * cr[i + 1]) + R.r(x0 * sr[i + 1]))
                i += 2
            }
        case .split:
            for h in 0..<heads {
                let ch = cr + h * headStride, sh = sr + h * headStride
                let x1 = xr + h * 2 * half, x2 = x1 + half
                let y1 = yr + h * 2 * half, y2 = y1 + half
                for j in 0..<half {
                    y1[j] = R.r(R.r(x1[j] * ch[j]) - x2[j] * sh[j])
                    y2[j] = R.r(R.r(x2[j] * ch[j]) + x1[j] * sh[j])
                }
            }
        }
    }
}
