import CCUDA
import CUDARuntime
import Tensors

/// Matrix products through cuBLASLt, attention through the online-softmax kernel
/// (attention.cu).
extension CUDABackend {
    /// cuBLASLt's element type for a compute dtype.
    func blasType(_ dtype: DType) -> CUBLASLt.ElementType {
        switch dtype {
        case .bf16: .bf16
        case .f16: .f16
        default: .f32
        }
    }

    /// The GEMM dtype of a product: the result dtype when it is a compute type (bf16 stays
    /// bf16 on the tensor cores), float32 otherwise.
    func gemmType(_ operands: [Tensor]) -> DType {
        let d = DType.result(of: operands)
        return d.isComputeType ? d : .f32
    }

    func offset(_ p: CUdeviceptr, _ elements: Int, _ dtype: DType) -> CUdeviceptr {
        p + CUdeviceptr(elements * dtype.byteSize)
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        linear(x, weight: weight, bias: bias, gelu: false)
    }

    /// GELU (tanh) runs in cuBLASLt's epilogue: the product before it is never written.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp) -> Tensor {
        guard activation == .geluTanh else { return unary(activation, linear(x, weight: weight, bias: bias)) }
        return linear(x, weight: weight, bias: bias, gelu: true)
    }

    private func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, gelu: Bool) -> Tensor {
        let dtype = gemmType([x, weight] + [bias].compactMap { $0 })
        let (xc, wc, bc) = (converted(x, dtype), converted(weight, dtype), bias.map { converted($0, dtype) })
        let (inner, outer) = (weight.shape[1], weight.shape[0])
        let rows = inner == 0 ? x.count / max(1, x.shape.last ?? 1) : x.count / inner
        let out = empty(Array(x.shape.dropLast()) + [outer], dtype)
        guard rows > 0 && outer > 0 else { return out }
        if inner == 0 {
            let y = bias.map { binary(.add, zeros(out.shape, dtype), converted($0, dtype)) } ?? zeros(out.shape, dtype)
            return gelu ? unary(.geluTanh, y) : y
        }
        var g = CUBLASLt.GEMM(
            m: rows, n: outer, k: inner, a: pointer(xc), lda: inner, transposeA: false, b: pointer(wc), ldb: inner,
            transposeB: true, d: pointer(out), ldd: outer, type: blasType(dtype), bias: bc.map { pointer($0) })
        g.gelu = gelu
        context.gemm(g)
        return out
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let dtype = gemmType([a, b])
        let (ac, bc) = (converted(a, dtype), converted(b, dtype))
        let (ra, rb) = (a.rank, b.rank)
        let m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
        let k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
        let n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
        let (batchA, batchB) = (Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let batch = Tensor.broadcastShape(batchA, batchB)!
        let out = empty(batch + [m, n], dtype)
        let count = batch.reduce(1, *)
        guard count > 0 && m > 0 && n > 0 else { return out }
        if k == 0 { return zeros(out.shape, dtype) }
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        var g = CUBLASLt.GEMM(
            m: m, n: n, k: k, a: pointer(ac), lda: lda, transposeA: transposeA, b: pointer(bc), ldb: ldb,
            transposeB: transposeB, d: pointer(out), ldd: n, type: blasType(dtype))
        if batchB.reduce(1, *) == 1 && batchA == batch && !transposeA {
            g.m = m * count  // one weight for every item: fold the batch into the rows
            context.gemm(g)
        } else if batchA == batch && batchB == batch {
            (g.batch, g.strideA, g.strideB, g.strideD) = (count, m * k, k * n, m * n)
            context.gemm(g)
        } else {
            let (sa, sb) = (Geometry.broadcastStrides(batchA, to: batch), Geometry.broadcastStrides(batchB, to: batch))
            let cs = Tensor.strides(of: batch)
            for item in 0..<count {
                var (oa, ob) = (0, 0)
                for axis in batch.indices {
                    let i = (item / cs[axis]) % batch[axis]
                    oa += i * sa[axis]
                    ob += i * sb[axis]
                }
                var gi = g
                gi.a = offset(g.a, oa * m * k, dtype)
                gi.b = offset(g.b, ob * k * n, dtype)
                gi.d = offset(g.d, item * m * n, dtype)
                context.gemm(gi)
            }
        }
        return out
    }

    /// Zeros by a memset; any other value as a one-element tensor (a kernel parameter, no
    /// copy) broadcast over the zeros by one kernel.
    public func filled(_ value: Float, shape: [Int], dtype: DType) -> Tensor {
        guard dtype.isComputeType || value.bitPattern == 0 else {
            return transfer(Tensor(repeating: value, shape: shape, dtype: dtype), to: device)  // fp8 storage
        }
        let out = zeros(shape, dtype)
        guard value.bitPattern != 0, out.count > 0 else { return out }
        return binary(.add, out, transfer(Tensor(repeating: value, shape: [], dtype: dtype), to: device))
    }

    /// Zeros on this GPU.
    func zeros(_ shape: [Int], _ dtype: DType) -> Tensor {
        let out = empty(shape, dtype)
        let bytes = out.count * dtype.byteSize
        if bytes > 0 {
            context.makeCurrent()
            context.must(context.driver.cuMemsetD8Async(pointer(out), 0, bytes, context.stream), "cuMemsetD8Async")
        }
        return out
    }

    // MARK: Attention

    public func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?, scale: Float
    ) -> Tensor {
        let dtype = DType.result(of: [query, key, value])
        let b = query.shape[0]
        let (heads, tq, tk, d, dv): (Int, Int, Int, Int, Int)
        var strides: [[Int]]  // q, k, v, out: batch, head, token
        let outShape: [Int]
        switch layout {
        case .headsFirst:
            (heads, tq, tk, d, dv) = (query.shape[1], query.shape[2], key.shape[2], query.shape[3], value.shape[3])
            strides = [[heads * tq * d, tq * d, d], [heads * tk * d, tk * d, d], [heads * tk * dv, tk * dv, dv],
                       [heads * tq * dv, tq * dv, dv]]
            outShape = [b, heads, tq, dv]
        case .tokensFirst(let h):
            heads = h
            (tq, tk, d, dv) = (query.shape[1], key.shape[1], query.shape[2] / h, value.shape[2] / h)
            strides = [[tq * h * d, d, h * d], [tk * h * d, d, h * d], [tk * h * dv, dv, h * dv], [tq * h * dv, dv, h * dv]]
            outShape = [b, tq, h * dv]
        }
        require(d <= 128 && dv <= 128, "the CUDA attention kernel takes heads up to 128 wide, got \(d) and \(dv)")
        let out = empty(outShape, dtype)
        guard b > 0 && heads > 0 && tq > 0 && dv > 0 else { return out }
        var maskKind = 0, maskPointer: CUdeviceptr = 0, maskType: Int32 = 0
        var maskStrides = [0, 0, 0, 0]
        var groupWords = [0, 0, 0, 0]
        var lowest: Float = -.greatestFiniteMagnitude
        var keepAlive: [CUDAStorage] = []
        switch mask {
        case nil:
            break
        case .additive(let t), .multiplicative(let t):
            if case .additive = mask! { maskKind = 1 } else { maskKind = 2 }
            maskPointer = pointer(t)
            maskType = t.dtype.code
            maskStrides = Geometry.broadcastStrides(t.shape, to: [b, heads, tq, tk])
        case .groups(let w):
            maskKind = 3
            let groups = upload(w.groups.map { Int32($0) })
            let cross = upload(w.cross.map { TokenGroupWeights.bias($0, dtype: w.dtype) })
            keepAlive = [groups, cross]
            groupWords = [Int(groups.pointer), Int(cross.pointer), w.batch, w.firstIsolatedGroup]
            lowest = TokenGroupWeights.bias(0, dtype: w.dtype)
        }
        let words: [Int] =
            [Int(pointer(query)), Int(pointer(key)), Int(pointer(value)), Int(pointer(out))]
            + [query.dtype, key.dtype, value.dtype, dtype].map { Int($0.code) }
            + [b, heads, tq, tk, d, dv] + strides.flatMap { $0 }
            + [maskKind, Int(maskPointer), Int(maskType)] + maskStrides + groupWords
        let sameType = query.dtype == key.dtype && key.dtype == value.dtype
        // Tensor cores where every row of Q, K and V starts 16-byte aligned (contiguous tensors
        // always do): 64 query rows per block of 4 warps (or 128 of 8), K and V tiles copied by cp.async.
        let aligned = [query, key, value].allSatisfy { pointer($0) % 16 == 0 }
            && strides.prefix(3).joined().allSatisfy { $0 % 8 == 0 }
        if sameType && (dtype == .bf16 || dtype == .f16) && d == dv && (d == 64 || d == 128) && aligned {
            let rows = flashRowsPerBlock
            context.launch(
                (rows == 128 ? "rf_flash2_wide_d" : "rf_flash2_d") + "\(d)", grid: ((tq + rows - 1) / rows, heads, b), block: 2 * rows,
                sharedBytes: KernelSources.flash2SharedBytes(headWidth: d),
                [.words(words.map { Int64($0) }), .float(scale), .float(lowest)])
        } else {
            let roundP: Int32 = dtype == .bf16 || dtype == .f16 ? dtype.code : 0
            context.launch(
                "rf_attention", grid: ((tq + 7) / 8, heads, b), block: 256,
                [.words(words.map { Int64($0) }), .float(scale), .float(lowest), .int32(roundP)])
        }
        withExtendedLifetime(keepAlive) {}
        return out
    }

    /// Host values copied into a new device buffer (freed in stream order after its last use).
    private func upload<T>(_ values: [T]) -> CUDAStorage {
        let storage = CUDAStorage(bytes: values.count * MemoryLayout<T>.stride, context: context)
        values.withUnsafeBytes { context.upload($0, to: storage.pointer) }
        return storage
    }
}
