internal import COpenBLAS

/// The peer figure for `linear`: `cblas_sgemm` called directly on preallocated buffers,
/// with the same operand layout `linear` uses (`y = x · Wᵀ`, W stored `[out, in]`).
///
/// The corresponding C function is `cblas_sgemm`.
func bareSgemm(
    rows m: Int, out n: Int, in k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>
) {
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), 1, x, blasint(k), w,
        blasint(k), 0, y, blasint(n))
}
