import CCUDA

/// cuBLASLt, looked up at run time: the GEMMs of the CUDA backend (row-major operands, float32
/// accumulation, an optional bias epilogue). One per process (`CUBLASLt.shared`).
package final class CUBLASLt: @unchecked Sendable {
    let library: CUDALibraries.Opened
    let create: PFN_cublasLtCreate
    let descCreate: PFN_cublasLtMatmulDescCreate
    let descDestroy: PFN_cublasLtMatmulDescDestroy
    let descSet: PFN_cublasLtMatmulDescSetAttribute
    let layoutCreate: PFN_cublasLtMatrixLayoutCreate
    let layoutDestroy: PFN_cublasLtMatrixLayoutDestroy
    let layoutSet: PFN_cublasLtMatrixLayoutSetAttribute
    let matmul: PFN_cublasLtMatmul

    package static let shared: Result<CUBLASLt, CUDAError> = {
        do { return .success(try CUBLASLt()) } catch let e as CUDAError { return .failure(e) } catch {
            return .failure(CUDAError("\(error)"))
        }
    }()

    private init() throws {
        let opened: CUDALibraries.Opened
        do { opened = try CUDALibraries.open(["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"]) } catch {
            throw CUDAError("cuBLASLt: \(error.description)")
        }
        library = opened
        create = try opened.function("cublasLtCreate", PFN_cublasLtCreate.self)
        descCreate = try opened.function("cublasLtMatmulDescCreate", PFN_cublasLtMatmulDescCreate.self)
        descDestroy = try opened.function("cublasLtMatmulDescDestroy", PFN_cublasLtMatmulDescDestroy.self)
        descSet = try opened.function("cublasLtMatmulDescSetAttribute", PFN_cublasLtMatmulDescSetAttribute.self)
        layoutCreate = try opened.function("cublasLtMatrixLayoutCreate", PFN_cublasLtMatrixLayoutCreate.self)
        layoutDestroy = try opened.function("cublasLtMatrixLayoutDestroy", PFN_cublasLtMatrixLayoutDestroy.self)
        layoutSet = try opened.function("cublasLtMatrixLayoutSetAttribute", PFN_cublasLtMatrixLayoutSetAttribute.self)
        matmul = try opened.function("cublasLtMatmul", PFN_cublasLtMatmul.self)
    }

    /// A new cuBLASLt handle (one per device context).
    package func makeHandle() throws -> cublasLtHandle_t {
        var handle: cublasLtHandle_t?
        try check(create(&handle), "cublasLtCreate")
        guard let handle else { throw CUDAError("cublasLtCreate returned no handle") }
        return handle
    }

    /// Element types cuBLASLt reads and writes here.
    package enum ElementType: Sendable {
        case f32, bf16, f16
        var code: Int32 {
            switch self {
            case .f32: Int32(REELFLOW_CUDA_R_32F)
            case .bf16: Int32(REELFLOW_CUDA_R_16BF)
            case .f16: Int32(REELFLOW_CUDA_R_16F)
            }
        }
    }

    /// One row-major GEMM, possibly a strided batch:
    /// `D[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n])`, with `A` stored `[m, k]` (or `[k, m]`
    /// when `transposeA`) and row stride `lda`, likewise `B`, and `D` with row stride `ldd`.
    /// `batch` items lie `strideA`, `strideB`, `strideD` elements apart (0 repeats an operand).
    /// A and B are `type`, D is `outType` (`type` unless set); accumulation is float32.
    package struct GEMM {
        package var m: Int, n: Int, k: Int
        package var a: CUdeviceptr, lda: Int, transposeA: Bool
        package var b: CUdeviceptr, ldb: Int, transposeB: Bool
        package var d: CUdeviceptr, ldd: Int
        package var type: ElementType
        package var outType: ElementType
        package var bias: CUdeviceptr?
        /// cuBLASLt's GELU epilogue (torch's tanh form, on the float32 result before its
        /// rounding), after the bias.
        package var gelu = false
        package var batch = 1, strideA = 0, strideB = 0, strideD = 0
        package init(
            m: Int, n: Int, k: Int, a: CUdeviceptr, lda: Int, transposeA: Bool, b: CUdeviceptr, ldb: Int,
            transposeB: Bool, d: CUdeviceptr, ldd: Int, type: ElementType, bias: CUdeviceptr? = nil
        ) {
            (self.m, self.n, self.k) = (m, n, k)
            (self.a, self.lda, self.transposeA) = (a, lda, transposeA)
            (self.b, self.ldb, self.transposeB) = (b, ldb, transposeB)
            (self.d, self.ldd, self.type, self.bias) = (d, ldd, type, bias)
            self.outType = type
        }
    }

    /// Runs `g` on `stream`. cuBLASLt is column-major: a row-major `D[m, n]` is the
    /// column-major `Dᵀ[n, m] = op(B)ᵀ · op(A)ᵀ`, so B goes first and no data moves.
    package func run(
        _ g: GEMM, handle: cublasLtHandle_t, workspace: CUdeviceptr, workspaceBytes: Int, stream: CUstream?
    ) throws {
        var desc: cublasLtMatmulDesc_t?
        try check(descCreate(&desc, Int32(REELFLOW_CUBLAS_COMPUTE_32F), Int32(REELFLOW_CUDA_R_32F)), "cublasLtMatmulDescCreate")
        defer { _ = descDestroy(desc) }
        var opFirst: Int32 = g.transposeB ? 1 : 0, opSecond: Int32 = g.transposeA ? 1 : 0
        try check(descSet(desc, Int32(REELFLOW_CUBLASLT_MATMUL_DESC_TRANSA), &opFirst, 4), "set TRANSA")
        try check(descSet(desc, Int32(REELFLOW_CUBLASLT_MATMUL_DESC_TRANSB), &opSecond, 4), "set TRANSB")
        if g.bias != nil || g.gelu {
            var epilogue = Int32(
                g.bias == nil ? REELFLOW_CUBLASLT_EPILOGUE_GELU
                    : g.gelu ? REELFLOW_CUBLASLT_EPILOGUE_GELU_BIAS : REELFLOW_CUBLASLT_EPILOGUE_BIAS)
            try check(descSet(desc, Int32(REELFLOW_CUBLASLT_MATMUL_DESC_EPILOGUE), &epilogue, 4), "set EPILOGUE")
        }
        if var bias = g.bias {
            try check(descSet(desc, Int32(REELFLOW_CUBLASLT_MATMUL_DESC_BIAS_POINTER), &bias, 8), "set BIAS_POINTER")
            var biasType = g.outType.code
            try check(descSet(desc, Int32(REELFLOW_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE), &biasType, 4), "set BIAS_DATA_TYPE")
        }
        // Column-major views: first = op(B)ᵀ [n, k], second = op(A)ᵀ [k, m], out [n, m].
        let first = try layout(rows: g.transposeB ? g.k : g.n, cols: g.transposeB ? g.n : g.k, ld: g.ldb, g, stride: g.strideB)
        defer { _ = layoutDestroy(first) }
        let second = try layout(rows: g.transposeA ? g.m : g.k, cols: g.transposeA ? g.k : g.m, ld: g.lda, g, stride: g.strideA)
        defer { _ = layoutDestroy(second) }
        let out = try layout(rows: g.n, cols: g.m, ld: g.ldd, g, stride: g.strideD, type: g.outType)
        defer { _ = layoutDestroy(out) }
        var alpha: Float = 1, beta: Float = 0
        try check(
            matmul(
                handle, desc, &alpha, UnsafeRawPointer(bitPattern: UInt(g.b)), first,
                UnsafeRawPointer(bitPattern: UInt(g.a)), second, &beta, UnsafeRawPointer(bitPattern: UInt(g.d)), out,
                UnsafeMutableRawPointer(bitPattern: UInt(g.d)), out, nil, UnsafeMutableRawPointer(bitPattern: UInt(workspace)),
                workspaceBytes, stream),
            "cublasLtMatmul (\(g.m)x\(g.n)x\(g.k), \(g.type), batch \(g.batch))")
    }

    private func layout(
        rows: Int, cols: Int, ld: Int, _ g: GEMM, stride: Int, type: ElementType? = nil
    ) throws -> cublasLtMatrixLayout_t? {
        var l: cublasLtMatrixLayout_t?
        try check(layoutCreate(&l, (type ?? g.type).code, UInt64(rows), UInt64(cols), Int64(ld)), "cublasLtMatrixLayoutCreate")
        if g.batch > 1 {
            var count = Int32(g.batch), offset = Int64(stride)
            try check(layoutSet(l, Int32(REELFLOW_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT), &count, 4), "set BATCH_COUNT")
            try check(layoutSet(l, Int32(REELFLOW_CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET), &offset, 8), "set STRIDED_BATCH_OFFSET")
        }
        return l
    }

    func check(_ status: cublasStatus_t, _ call: String) throws {
        guard status != 0 else { return }
        throw CUDAError("\(call) failed: cuBLAS status \(status)")
    }
}
