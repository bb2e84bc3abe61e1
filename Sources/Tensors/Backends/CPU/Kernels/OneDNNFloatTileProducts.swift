import Synchronization

/// float32 attention tiles on oneDNN's brgemm kernels, on dense head copies.
///
/// Why: a tile's products are short (the head width, 32-128, is one of their three extents),
/// and OpenBLAS's `sgemm`, reading heads in place, runs them at 145-180 GFLOP/s on one AVX-512
/// core, against 210-245 for oneDNN's brgemm on dense copies (`Q · Kᵀ` and `P · V`, 128-256 x
/// 64 x 256-1408; docs/benchmarks.md, "float32 attention tiles on oneDNN"). oneDNN's brgemm
/// wants each head's rows dense (on the `[B, T, H·d]` layout it falls back to its slower
/// gemm kernel), so Q, K and V are copied heads-first once per call, as the bf16 path does.
///
/// The scale multiplies each score once after the product, the one multiply `sgemm`'s alpha
/// makes (on unmasked tiles inside the exponential's pass, the same product); `P · V` goes to a dense tile that is then added to (or written over) the output
/// rows. Taken on AVX-512 CPUs where oneDNN plans brgemm kernels for every tile shape;
/// elsewhere, or with `REELFLOW_ONEDNN=0`, attention keeps `SGEMMTileProducts`.
package struct OneDNNFloatTileProducts: TileProducts {
    static var packsProbabilitiesToBF16: Bool { false }
    static var scalesInAPass: Bool { true }

    /// Whether float32 attention may take these tiles; tests and benchmarks switch it to compare.
    package static var enabled: Bool {
        get { switchedOn.withLock { $0 } }
        set { switchedOn.withLock { $0 = newValue } }
    }
    private static let switchedOn = Mutex(true)

    static let plans = OneDNNTilePlans(operand: OneDNN.Layout.f32, brgemmOnly: true)

    /// Whether oneDNN plans a brgemm kernel for every tile shape of `g` (full and edge tiles),
    /// on an AVX-512 CPU (where it was measured; on AVX2 OpenBLAS's tiles stay).
    static func canTake(_ g: AttentionGeometry, queryBlock bq: Int, keyBlock bk: Int) -> Bool {
        enabled && OneDNN.avx512 && OneDNN.enabled && plans.coverEveryTile(g, queryBlock: bq, keyBlock: bk)
    }

    func scores(
        _ q: UnsafeRawPointer, ldq: Int, _ k: UnsafeRawPointer, ldk: Int, rows: Int, cols: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>, lds: Int
    ) {
        precondition(lds == cols && ldq == depth && ldk == depth, "oneDNN's float32 tiles are dense")
        guard let plan = Self.plans.score(rows: rows, cols: cols, depth: depth) else {
            fatalError("oneDNN refused a float32 attention tile of \(rows) x \(depth) x \(cols)")
        }
        plan.run(q, k, into: scores, threads: 1)
        if scale != 1 { FastMath.scale(scores, rows * cols, by: scale) }
    }

    func accumulate(
        _ p: UnsafeMutablePointer<Float>, lds: Int, _ v: UnsafeRawPointer, ldv: Int, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(lds == cols && ldv == width, "oneDNN's float32 tiles are dense")
        guard let plan = Self.plans.value(rows: rows, cols: cols, width: width) else {
            fatalError("oneDNN refused a float32 attention tile of \(rows) x \(cols) x \(width)")
        }
        plan.run(p, v, into: scratch, threads: 1)
        AttentionKernel.addProduct(scratch, rows: rows, width: width, into: o, ldo: ldo, overwrite: overwrite)
    }
}
