import CDNNL
internal import CKernels
import Synchronization

extension OneDNN {
    /// Whether float32 `linear` runs on oneDNN's brgemm kernels (AVX-512 CPUs); tests and
    /// benchmarks switch it to compare with OpenBLAS.
    package static var floatLinearEnabled: Bool {
        get { floatLinearSwitch.withLock { $0 } }
        set { floatLinearSwitch.withLock { $0 = newValue } }
    }
    private static let floatLinearSwitch = Mutex(true)
    /// Whether the CPU has AVX-512, where oneDNN's float32 brgemm kernels (attention tiles,
    /// `floatLinear`) were measured faster than OpenBLAS; on AVX2 OpenBLAS keeps them.
    static let avx512 = reelflow_cpu_vector_level() >= 2

    /// `x · weightᵀ (+ bias)` in float32 on oneDNN's brgemm kernels, one thread per band of
    /// rows on the worker pool, the bias added in the kernel; nil where oneDNN is off, the CPU
    /// lacks AVX-512 or oneDNN plans no brgemm kernel for a band (OpenBLAS runs it then).
    ///
    /// Why: on the tiny transformer's products (640 x 128 x 128-512) a brgemm band on one
    /// thread runs at 95% of a core's FMA rate against OpenBLAS's 80-85%, and one pool job with
    /// the bias in the kernel replaces OpenBLAS's two (the bias rows, then the product): the
    /// tiny forward took 0.86-0.91x its time (docs/benchmarks.md, "float32 linears on
    /// oneDNN"). The bands are OpenBLAS's (`BLAS.bandCount`, by rows), from the shape alone, so
    /// the bits do not depend on the thread count.
    static func floatLinear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor? {
        guard floatLinearEnabled, avx512, enabled, x.dtype == .f32, weight.dtype == .f32, bias.map({ $0.dtype == .f32 }) ?? true,
            x.rank >= 1, weight.rank == 2
        else { return nil }
        let k = x.shape[x.rank - 1], n = weight.shape[0]
        let m = x.shape.dropLast().reduce(1, *)
        guard weight.shape[1] == k, m > 0, n > 0, k > 0 else { return nil }
        // OpenBLAS's cut, taken where it is by rows (or one band): a band of columns would leave
        // the output's rows strided, where oneDNN 2.6 has no brgemm kernel, so products with
        // more outputs than rows stay on OpenBLAS.
        let bands = BLAS.bandCount(m: m, n: n, k: k)
        guard bands == 1 || m >= n else { return nil }
        let biasType = bias == nil ? Int32(0) : Int32(RF_DNNL_F32)
        var plans: [Int: Product] = [:]
        for band in 0..<bands {
            let rows = m * (band + 1) / bands - m * band / bands
            guard plans[rows] == nil else { continue }
            guard
                let plan = product(
                    m: rows, k: k, n: n, a: .f32(rows * k, k, 1), b: .f32(n * k, 1, k), c: .f32(rows * n, n, 1),
                    biasType: biasType, threads: 1),
                plan.implementation.hasPrefix("brg")
            else { return nil }
            plans[rows] = plan
        }
        var shape = x.shape
        shape[x.rank - 1] = n
        return Tensor(shape: shape) { out in
            let o = Int(bitPattern: out.baseAddress!)
            x.withUnsafeHostBytes { a in
                weight.withUnsafeHostBytes { b in
                    let (pa, pb) = (Int(bitPattern: a.baseAddress!), Int(bitPattern: b.baseAddress!))
                    func run(bias pbias: Int) {
                        parallelForEach(bands, workers: TensorThreads.threadsForOneCall) { band, _ in
                            let lower = m * band / bands, rows = m * (band + 1) / bands - lower
                            let element = MemoryLayout<Float>.stride
                            plans[rows]!.run(
                                UnsafeRawPointer(bitPattern: pa)! + lower * k * element, UnsafeRawPointer(bitPattern: pb),
                                bias: UnsafeRawPointer(bitPattern: pbias),
                                into: UnsafeMutableRawPointer(bitPattern: o)! + lower * n * element, threads: 1)
                        }
                    }
                    if let bias {
                        bias.withUnsafeHostBytes { run(bias: Int(bitPattern: $0.baseAddress!)) }
                    } else {
                        run(bias: 0)
                    }
                }
            }
        }
    }
}
