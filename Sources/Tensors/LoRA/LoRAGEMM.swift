internal import COpenBLAS

/// The GEMM the LoRA code needs, over OpenBLAS `cblas_sgemm`.
///
/// To be merged with the general GEMM of the tensor ops (branch `tensor`) once both land;
/// this one exists so LoRA fusing does not wait for it. Row-major throughout.
enum LoRAGEMM {
    /// `C = alpha · op(A) · op(B) + beta · C`, all row-major float32, where `op(A)` is
    /// `m × k` and `op(B)` is `k × n`. `A` is stored `m × k` (or `k × m` when
    /// `transposeA`), `B` is `k × n` (or `n × k` when `transposeB`), `C` is `m × n`.
    /// The corresponding C function is `cblas_sgemm`.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, transposeA: Bool = false,
        b: UnsafePointer<Float>, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0)
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched for k == 0 only when beta == 1; make the result explicit.
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(transposeA ? m : k),
            b, blasint(transposeB ? k : n),
            beta, c, blasint(n))
    }
}
