internal import CKernels
/// Softmax and the norms the LTX models use. All compute in float32 (group statistics in
/// float64) and return float32; round to bf16 afterwards where the reference does.
extension Tensor {
    /// Softmax over the last axis: `exp(x - max) / sum(exp(x - max))` per row.
    func cpuSoftmax() -> Tensor {
        require(rank >= 1, "softmax needs at least one axis")
        let n = shape[rank - 1]
        let rows = n == 0 ? 0 : count / n
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                let s = src.baseAddress, d = out.baseAddress
                parallelFor(rows, grain: max(1, 16_384 / max(1, n))) { range in
                    for r in range {
                        Softmax.row(s! + r * n, d! + r * n, n)
                    }
                }
            }
        }
    }

    /// RMS norm over the last axis (torch `nn.RMSNorm`):
    /// `y = x / sqrt(mean(x²) + eps) * weight`, with `weight` `[D]` or none.
    func cpuRMSNorm(weight: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        require(rank >= 1, "rmsNorm needs at least one axis")
        let n = shape[rank - 1]
        if let weight { require(weight.shape == [n], "rmsNorm weight must be [\(n)], got \(weight.shape)") }
        let rows = n == 0 ? 0 : count / n
        let w = weight?.hostScalars() ?? []
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                w.withUnsafeBufferPointer { wp in
                    // An empty array's buffer may still have a base address: test the weight itself.
                    let s = src.baseAddress, d = out.baseAddress, wb = weight == nil ? nil : wp.baseAddress
                    parallelFor(rows, grain: max(1, 16_384 / max(1, n))) { range in
                        for r in range { NormRows.rms(s! + r * n, d! + r * n, n, eps: eps, weight: wb) }
                    }
                }
            }
        }
    }

    /// Layer norm over the last axis: `(x - mean) / sqrt(var + eps) * weight + bias`
    /// (biased variance; `weight`/`bias` `[D]` or none).
    func cpuLayerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        require(rank >= 1, "layerNorm needs at least one axis")
        let n = shape[rank - 1]
        if let weight { require(weight.shape == [n], "layerNorm weight must be [\(n)], got \(weight.shape)") }
        if let bias { require(bias.shape == [n], "layerNorm bias must be [\(n)], got \(bias.shape)") }
        let rows = n == 0 ? 0 : count / n
        let w = weight?.hostScalars() ?? [], b = bias?.hostScalars() ?? []
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                w.withUnsafeBufferPointer { wp in
                    b.withUnsafeBufferPointer { bp in
                        let s = src.baseAddress, d = out.baseAddress
                        let wb = weight == nil ? nil : wp.baseAddress, bb = bias == nil ? nil : bp.baseAddress
                        parallelFor(rows, grain: max(1, 16_384 / max(1, n))) { range in
                            for r in range { NormRows.layer(s! + r * n, d! + r * n, n, eps: eps, weight: wb, bias: bb) }
                        }
                    }
                }
            }
        }
    }

    /// ltx-core's PixelNorm over axis 1 of `[B, C, ...]`:
    /// `y = x / sqrt(mean_over_C(x²) + eps)` at every position (no weights).
    func cpuPixelNorm<R: StepRounding>(eps: Float = 1e-8, rounding: R.Type) -> Tensor {
        require(rank >= 2, "pixelNorm needs [B, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1]
        let spatial = shape[2...].reduce(1, *)
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = out.baseAddress else { return }
                Tensor.pixelNormBlocks(batch: batch, spatial: spatial, channels: channels) { base, len, rms, _ in
                    for j in 0..<len { rms[j] = 0 }
                    for c in 0..<channels {
                        let x = s + base + c * spatial
                        for j in 0..<len { rms[j] += R.r(x[j] * x[j]) }
                    }
                    for j in 0..<len { rms[j] = R.r(R.r(R.r(rms[j] / Float(channels)) + eps).squareRoot()) }
                    for c in 0..<channels {
                        let x = s + base + c * spatial, y = d + base + c * spatial
                        for j in 0..<len { y[j] = R.r(x[j] / rms[j]) }
                    }
                }
            }
        }
    }

    /// PixelNorm's work split: items (batch, block of up to `pixelNormBlock` positions) over the
    /// threads, channels reduced in order within each. `body(base, len, rms, row)` gets the
    /// flat index of the block's first element in channel 0, its length and two scratch rows
    /// of `pixelNormBlock` floats.
    static let pixelNormBlock = 1024
    static func pixelNormBlocks(
        batch: Int, spatial: Int, channels: Int,
        _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let block = pixelNormBlock
        let blocks = (spatial + block - 1) / block
        guard batch * channels * spatial > 0 else { return }
        parallelFor(batch * blocks) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { scratch in
                for item in range {
                    let b = item / blocks, p0 = (item % blocks) * block
                    body(b * channels * spatial + p0, Swift.min(block, spatial - p0), scratch.baseAddress!, scratch.baseAddress! + block)
                }
            }
        }
    }

    /// Group norm over `[B, C, ...]` (torch `nn.GroupNorm`): channels split into `groups`
    /// consecutive groups; each (batch, group) is normalised by its mean and biased variance,
    /// then `* weight[c] + bias[c]`.
    func cpuGroupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        require(rank >= 2, "groupNorm needs [B, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1]
        require(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels in \(groups) groups")
        if let weight { require(weight.shape == [channels], "groupNorm weight must be [\(channels)]") }
        if let bias { require(bias.shape == [channels], "groupNorm bias must be [\(channels)]") }
        let spatial = shape[2...].reduce(1, *)
        let perGroup = channels / groups
        let w = weight?.hostScalars() ?? [], b = bias?.hostScalars() ?? []
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                let s = src.baseAddress, d = out.baseAddress
                guard batch * channels * spatial > 0 else { return }
                parallelFor(batch * groups) { range in
                    for item in range {
                        let g = item % groups
                        let base = item * perGroup * spatial
                        let (mean, variance) = Reductions.meanAndVariance(s! + base, perGroup * spatial)
                        let m = Float(mean), inv = Float(1 / (variance + Double(eps)).squareRoot())
                        for cl in 0..<perGroup {
                            let c = g * perGroup + cl
                            let scale = inv * (w.isEmpty ? 1 : w[c])
                            let shift = (b.isEmpty ? 0 : b[c]) - m * scale
                            let x = s! + base + cl * spatial, y = d! + base + cl * spatial
                            for j in 0..<spatial { y[j] = x[j] * scale + shift }
                        }
                    }
                }
            }
        }
    }
}

enum Softmax {
    /// Softmax of one row of `n` values from `x` into `y` (may alias).
    @inline(__always)
    static func row(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        let m = reelflow_max_f32(x, n)
        let total = reelflow_exp_shifted_sum(x, y, n, m)
        FastMath.scale(y, n, by: 1 / total)
    }
}

/// One row of the float32 norms, shared by the norm ops and the fused AdaLN ops so both give
/// the same bits.
enum NormRows {
    /// `y = x / sqrt(mean(x²) + eps) (* weight)` over `n` values; `y` may be `x`.
    @inline(__always)
    static func rms(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, eps: Float, weight: UnsafePointer<Float>?) {
        let inv = 1 / (Reductions.sumOfSquares(x, n) / Float(n) + eps).squareRoot()
        if let weight {
            for j in 0..<n { y[j] = x[j] * inv * weight[j] }
        } else {
            for j in 0..<n { y[j] = x[j] * inv }
        }
    }

    /// `y = (x - mean) / sqrt(var + eps) (* weight) (+ bias)` over `n` values (biased variance,
    /// statistics in float64); `y` may be `x`.
    @inline(__always)
    static func layer(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, eps: Float,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    ) {
        let (mean, variance) = Reductions.meanAndVariance(x, n)
        let m = Float(mean), inv = Float(1 / (variance + Double(eps)).squareRoot())
        for j in 0..<n {
            var v = (x[j] - m) * inv
            if let weight { v *= weight[j] }
            if let bias { v += bias[j] }
            y[j] = v
        }
    }
}
