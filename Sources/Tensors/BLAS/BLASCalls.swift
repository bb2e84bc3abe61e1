internal import COpenBLAS

/// The one place where Tensors calls OpenBLAS. Everything above this file sees Swift types
/// only; the pointers handed in here come from `Tensor` storage the caller has borrowed.
enum BLAS {
    /// Whether an operand is read as stored or transposed.
    enum Transpose {
        case none, transposed

        fileprivate var cValue: CBLAS_TRANSPOSE {
            switch self {
            case .none: CblasNoTrans
            case .transposed: CblasTrans
            }
        }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices, where op(A) is m x k and
    /// op(B) is k x n. `lda`, `ldb`, `ldc` are the row strides of the stored matrices, so a
    /// head of a `[T, H * d]` tensor can be used in place with `ld = H * d`.
    /// Sizes of zero are allowed and do nothing (OpenBLAS would still scale C by beta).
    ///
    /// The corresponding C function is `cblas_sgemm`.
    static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // op(A) * op(B) is the zero matrix: C = beta * C.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA.cValue, transB.cValue,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }

    /// Sets how many threads OpenBLAS uses for one call.
    ///
    /// The corresponding C function is `openblas_set_num_threads`.
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// How many threads OpenBLAS currently uses for one call.
    ///
    /// The corresponding C function is `openblas_get_num_threads`.
    static func threadCount() -> Int {
        Int(openblas_get_num_threads())
    }

    /// The name of the kernel family OpenBLAS chose at load time (for example `Haswell` or
    /// `SkylakeX`); `OPENBLAS_CORETYPE` overrides the choice.
    ///
    /// The corresponding C function is `openblas_get_corename`.
    static func coreName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
