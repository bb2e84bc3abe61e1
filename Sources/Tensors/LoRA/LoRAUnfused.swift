/// Unfused mode: the LoRA update applied beside the base linear, `y += Σ scale_i ·
/// (x · A_iᵀ) · B_iᵀ`, in float32, without building or copying a fused weight. Costs
/// `2·T·r·(in + out)` flops per LoRA for `T` rows of input instead of a fuse per weight.
///
/// Numerically this is not ltx-core's result: the fused path rounds the update and the
/// weight to bf16, this path keeps float32 throughout.
extension BoundLoRAStack {
    /// Adds the LoRA updates for `key` to a linear layer's output.
    /// - Parameters:
    ///   - key: the base weight key, as passed to `LoRAStack.bind(to:)`.
    ///   - x: input `[..., in]`.
    ///   - y: output of the base linear, `[..., out]` with the same leading axes as `x`.
    /// - Precondition: the shapes fit the LoRA pair's `in` and `out`.
    public func addUnfusedDelta(for key: String, input x: Tensor, to y: inout Tensor) {
        guard let updates = contributions[key], !allStrengthsZero else { return }
        for update in updates {
            let pair = update.pair
            let (r, inF, outF) = (pair.rank, pair.inFeatures, pair.outFeatures)
            precondition(x.shape.last == inF && y.shape.last == outF,
                "LoRA '\(pair.module)' maps \(inF) -> \(outF) features; input \(x.shape), output \(y.shape)")
            let rows = x.count / max(inF, 1)
            precondition(y.count == rows * outF, "input \(x.shape) and output \(y.shape) differ in rows")
            let a = pair.down.floatTensor()  // [r, in]
            let b = pair.up.floatTensor()  // [out, r]
            var t = [Float](repeating: 0, count: rows * r)  // x · Aᵀ: [rows, r]
            x.withUnsafeBufferPointer { xp in
                a.withUnsafeBufferPointer { ap in
                    t.withUnsafeMutableBufferPointer { tp in
                        BLAS.sgemm(.none, .transposed, m: rows, n: r, k: inF,
                            a: xp.baseAddress!, lda: inF, b: ap.baseAddress!, ldb: inF, c: tp.baseAddress!, ldc: r)
                    }
                }
            }
            y.withUnsafeMutableBufferPointer { yp in
                t.withUnsafeBufferPointer { tp in
                    b.withUnsafeBufferPointer { bp in
                        BLAS.sgemm(.none, .transposed, m: rows, n: outF, k: r, alpha: update.scale,
                            a: tp.baseAddress!, lda: r, b: bp.baseAddress!, ldb: r, beta: 1, c: yp.baseAddress!, ldc: outF)
                    }
                }
            }
        }
    }

    /// `x · Wᵀ + bias` plus the LoRA updates for `key`, reading the stored weight directly:
    /// an F32 weight is used in place in the file mapping, other dtypes are converted to
    /// float32 for the call (the fused weight is never built).
    /// - Parameters:
    ///   - x: input `[..., in]`; `weight` is `[out, in]`; `bias` is `[out]`.
    /// - Throws: `WeightFileError.shapeMismatch` when the weight or bias does not fit `x`.
    public func linear(_ x: Tensor, weight: StoredTensor, bias: StoredTensor? = nil, key: String) throws(WeightFileError) -> Tensor {
        guard weight.shape.count == 2, x.shape.last == weight.shape[1] else {
            throw WeightFileError(.shapeMismatch, path: weight.path, tensor: weight.name,
                "a linear weight must be [out, in] with in = \(x.shape.last ?? 0) to take input \(x.shape); found \(weight.shape)")
        }
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        if let bias, bias.shape != [outF] {
            throw WeightFileError(.shapeMismatch, path: bias.path, tensor: bias.name,
                "a bias for \(outF) outputs must have shape [\(outF)], found \(bias.shape)")
        }
        let rows = x.count / max(inF, 1)
        var y = Tensor(zeros: Array(x.shape.dropLast()) + [outF])
        if let bias {
            let b = bias.floatTensor().scalars
            y.withUnsafeMutableBufferPointer { yp in
                for row in 0..<rows { for j in 0..<outF { yp[row * outF + j] = b[j] } }
            }
        }
        let beta: Float = bias == nil ? 0 : 1
        guard rows > 0, outF > 0, inF > 0 else {
            addUnfusedDelta(for: key, input: x, to: &y)
            return y
        }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                let inPlace: Bool = weight.dtype == .f32 && weight.withRawBytes {
                    Int(bitPattern: $0.baseAddress) % MemoryLayout<Float>.alignment == 0
                }
                if inPlace {
                    weight.withRawBytes { raw in
                        let w = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                        BLAS.sgemm(.none, .transposed, m: rows, n: outF, k: inF,
                            a: xp.baseAddress!, lda: inF, b: w, ldb: inF, beta: beta, c: yp.baseAddress!, ldc: outF)
                    }
                } else {
                    weight.floatTensor().withUnsafeBufferPointer { wp in
                        BLAS.sgemm(.none, .transposed, m: rows, n: outF, k: inF,
                            a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF, beta: beta, c: yp.baseAddress!, ldc: outF)
                    }
                }
            }
        }
        addUnfusedDelta(for: key, input: x, to: &y)
        return y
    }
}
