/// Linear layers and (batched) matrix products through OpenBLAS `sgemm`.
extension Tensor {
    /// A fully connected layer: `y = x · Wᵀ + b` over the last axis.
    ///
    /// `weight` is stored `[out, in]` as PyTorch stores `nn.Linear.weight`, and is read in
    /// place (GEMM with B transposed), never copied. `x` is `[..., in]`, the result
    /// `[..., out]`. The output rows start as copies of `bias` (or zeros) and the GEMM
    /// accumulates into them (beta = 1), so the bias costs no extra pass over the output.
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or nil.
    func cpuLinear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        require(rank >= 1, "linear needs at least one axis, got shape \(shape)")
        require(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        let inFeatures = shape[rank - 1], outFeatures = weight.shape[0]
        require(
            weight.shape[1] == inFeatures,
            "linear: input \(shape) has \(inFeatures) features, weight \(weight.shape) expects \(weight.shape[1])")
        if let bias {
            require(bias.shape == [outFeatures], "linear bias must be [\(outFeatures)], got \(bias.shape)")
        }
        let rows = shape.dropLast().reduce(1, *)
        var outShape = shape
        outShape[rank - 1] = outFeatures
        return Tensor(shape: outShape) { out in
            guard rows > 0, outFeatures > 0, let dst = out.baseAddress else { return }
            // The output rows start as the bias (or zeros), written by all threads, and the
            // GEMM accumulates into them (beta = 1). That costs the same pass OpenBLAS's own
            // beta = 0 zeroing would, but takes the first-touch page faults of a fresh
            // output in parallel: on the 1408 x 16384 layer this measured 0.95-0.99x of bare
            // sgemm on a warm buffer, against 0.82-0.93x with beta = 0.
            let zeros = [Float](repeating: 0, count: bias == nil ? outFeatures : 0)
            (bias?.hostScalars() ?? zeros).withUnsafeBufferPointer { b in
                let src = b.baseAddress!
                parallelFor(rows, grain: max(1, 65_536 / outFeatures)) { range in
                    for r in range { (dst + r * outFeatures).update(from: src, count: outFeatures) }
                }
            }
            guard inFeatures > 0 else { return }
            withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    BLAS.sgemm(
                        .none, .transposed, m: rows, n: outFeatures, k: inFeatures,
                        a: x.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                        beta: 1, c: dst, ldc: outFeatures)
                }
            }
        }
    }

    /// Matrix product over the last two axes, batched over the leading ones:
    /// `[..., M, K] · [..., K, N] -> [..., M, N]` (with `transposeA`/`transposeB` the operand
    /// is read as its transpose in place, e.g. `[..., N, K]` for B). Leading (batch) axes
    /// broadcast by the element-wise rules, so a `[K, N]` matrix multiplies every item of a
    /// `[B, H, M, K]` batch.
    static func cpuMatmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        require(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let ka = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        require(ka == kb, "matmul: inner extents differ, \(a.shape) · \(b.shape)")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        guard let batch = broadcastShape(batchA, batchB) else {
            fatalError("matmul: batch axes \(batchA) and \(batchB) do not broadcast")
        }
        let items = batch.reduce(1, *)
        // Offsets of each batch item's matrix in A and B (0 stride along broadcast axes).
        let plan = BroadcastPlan(outShape: batch, lhs: batchA, rhs: batchB)
        let matA = m * ka, matB = ka * n, matC = m * n
        let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
        return Tensor(shape: batch + [m, n]) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    guard items > 0, matC > 0 else { return }
                    // Several products (or small ones): one uncut OpenBLAS call per item, the
                    // items shared by the pool. One to three large ones: each cut into bands on
                    // the pool. The choice and the cut depend on the shapes only, so results do
                    // not depend on the thread count.
                    let perItem = items > 1 && (items >= 4 || m * n * ka < (1 << 21))
                    let work = { (item: Int) in
                        let (ia, ib) = plan.offsets(ofItem: item)
                        let c = out.baseAddress! + item * matC
                        if ka == 0 {
                            c.initialize(repeating: 0, count: matC)
                            return
                        }
                        BLAS.sgemm(
                            transposeA ? .transposed : .none, transposeB ? .transposed : .none,
                            m: m, n: n, k: ka,
                            a: pa.baseAddress! + ia * matA, lda: lda,
                            b: pb.baseAddress! + ib * matB, ldb: ldb,
                            c: c, ldc: n, cutIntoBands: !perItem)
                    }
                    if perItem {
                        parallelForEach(items, workers: TensorThreads.threadsForOneCall) { item, _ in work(item) }
                    } else {
                        for item in 0..<items { work(item) }
                    }
                }
            }
        }
    }
}
