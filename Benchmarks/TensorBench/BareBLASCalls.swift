internal import COpenBLAS
import Tensors

/// The peer figure for `linear`: `cblas_sgemm` called directly on preallocated buffers,
/// with the same operand layout `linear` uses (`y = x · Wᵀ`, W stored `[out, in]`), on
/// OpenBLAS's own `threads` threads (Reelflow keeps OpenBLAS on one thread and cuts products
/// into bands on its pool). After the call OpenBLAS is set back to one thread and its workers
/// are stopped, so their 0.1 s spin does not run into the next figure's time.
///
/// The corresponding C function is `cblas_sgemm`.
func bareSgemm(
    rows m: Int, out n: Int, in k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>, threads: Int
) {
    openblas_set_num_threads(Int32(threads))
    defer {
        openblas_set_num_threads(1)
        TensorThreads.stopIdleBLASThreads()
    }
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), 1, x, blasint(k), w,
        blasint(k), 0, y, blasint(n))
}
