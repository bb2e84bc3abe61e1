
/// Scaled-dot-product attention, blocked flash-style: scores are computed one (query block x
/// key block) tile at a time with `sgemm`, folded into a running softmax (row max, row sum,
/// rescaled accumulator), and multiplied into the output with a second `sgemm`. Memory is one
/// tile per worker (`queryBlock * keyBlock` floats), never `Tq * Tk`. Work is spread over
/// (batch, head, query block) items on `TensorThreads.count` workers, OpenBLAS
/// single-threaded inside.
extension Tensor {
    /// Default tile extents; at 1408 tokens a tile is 256 x 512 floats = 512 KiB per worker.
    static let attentionQueryBlock = 256
    static let attentionKeyBlock = 512

    /// Attention in torch's SDPA layout: `query [B, H, Tq, d]`, `key [B, H, Tk, d]`,
    /// `value [B, H, Tk, dv]` -> `[B, H, Tq, dv]`. `scale` defaults to `1/sqrt(d)`.
    /// `softmax(q·kᵀ·scale + mask)·v` per head.
    static func cpuScaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil, scale: Float? = nil,
        queryBlock: Int = attentionQueryBlock, keyBlock: Int = attentionKeyBlock,
        roundProbabilities: Bool = false
    ) -> Tensor {
        // Shapes were checked by `Tensor.scaledDotProductAttention`.
        let (b, h, tq, d) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
        let tk = key.shape[2], dv = value.shape[3]
        let geometry = AttentionGeometry(
            batch: b, heads: h, queryTokens: tq, keyTokens: tk, headDim: d, valueDim: dv,
            // [B, H, T, d]: head (b, h) starts at ((b*H)+h)*T*d, rows d apart.
            query: .init(batchStride: h * tq * d, headStride: tq * d, rowStride: d),
            key: .init(batchStride: h * tk * d, headStride: tk * d, rowStride: d),
            value: .init(batchStride: h * tk * dv, headStride: tk * dv, rowStride: dv),
            output: .init(batchStride: h * tq * dv, headStride: tq * dv, rowStride: dv))
        return AttentionKernel.run(
            geometry, outputShape: [b, h, tq, dv], query: query, key: key, value: value, mask: mask,
            scale: scale ?? 1 / Float(d).squareRoot(), queryBlock: queryBlock, keyBlock: keyBlock,
            roundProbabilities: roundProbabilities)
    }

    /// Attention in ltx-core's token layout: `query [B, Tq, H*d]`, `key [B, Tk, H*d]`,
    /// `value [B, Tk, H*dv]` -> `[B, Tq, H*dv]`, heads split from the last axis as ltx-core's
    /// `view(b, -1, heads, dim_head)` does. Heads are read in place (row stride `H*d`), so no
    /// transposed copies are made.
    static func cpuAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, mask: AttentionMask? = nil,
        scale: Float? = nil, queryBlock: Int = attentionQueryBlock, keyBlock: Int = attentionKeyBlock,
        roundProbabilities: Bool = false
    ) -> Tensor {
        // Shapes were checked by `Tensor.attention`.
        let (b, tq, width) = (query.shape[0], query.shape[1], query.shape[2])
        let tk = key.shape[1]
        let d = width / heads, vWidth = value.shape[2], dv = vWidth / heads
        let geometry = AttentionGeometry(
            batch: b, heads: heads, queryTokens: tq, keyTokens: tk, headDim: d, valueDim: dv,
            // [B, T, H*d]: head (b, h) starts at b*T*H*d + h*d, rows H*d apart.
            query: .init(batchStride: tq * width, headStride: d, rowStride: width),
            key: .init(batchStride: tk * width, headStride: d, rowStride: width),
            value: .init(batchStride: tk * vWidth, headStride: dv, rowStride: vWidth),
            output: .init(batchStride: tq * vWidth, headStride: dv, rowStride: vWidth))
        return AttentionKernel.run(
            geometry, outputShape: [b, tq, vWidth], query: query, key: key, value: value, mask: mask,
            scale: scale ?? 1 / Float(d).squareRoot(), queryBlock: queryBlock, keyBlock: keyBlock,
            roundProbabilities: roundProbabilities)
    }

    /// Bytes of scratch the blocked attention holds at once on `workers` threads: one score
    /// tile (float32 key blocks, `AttentionKernel.keyBlock`) and two per-row vectors per worker. The output itself is not counted, nor the
    /// bf16 paths' extras (AMX tiles keep score rows 16-31 floats wider, and both bf16 paths
    /// add a bf16 copy of the tile and a float32 `P · V` tile).
    static func attentionScratchBytes(
        queryTokens: Int, keyTokens: Int, workers: Int = TensorThreads.count,
        queryBlock: Int = attentionQueryBlock, keyBlock: Int = attentionKeyBlock
    ) -> Int {
        let bq = Swift.min(queryBlock, queryTokens), bk = AttentionKernel.keyBlock(keyBlock, keyTokens: keyTokens)
        return workers * (bq * bk + 2 * bq) * MemoryLayout<Float>.stride
    }
}
