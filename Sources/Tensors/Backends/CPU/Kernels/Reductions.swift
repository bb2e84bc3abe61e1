/// Row reductions with several accumulators, so the loops vectorise (a single running sum
/// is a serial dependency LLVM may not reorder).
enum Reductions {
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n {
            s += p[i]
            i += 1
        }
        return s
    }

    @inline(__always)
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += v * v
            i += 8
        }
        var s = acc.sum()
        while i < n {
            s += p[i] * p[i]
            i += 1
        }
        return s
    }

    /// Mean and biased variance of `n` values, accumulated in Double (two passes), for the
    /// norms whose groups hold many elements.
    static func meanAndVariance(_ p: UnsafePointer<Float>, _ n: Int) -> (mean: Double, variance: Double) {
        guard n > 0 else { return (0, 0) }
        var s = 0.0
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            s += Double(v.sum())
            i += 8
        }
        while i < n {
            s += Double(p[i])
            i += 1
        }
        let mean = s / Double(n)
        let m = Float(mean)
        var q = 0.0
        i = 0
        while i + 8 <= n {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
            q += Double((d * d).sum())
            i += 8
        }
        while i < n {
            let d = Double(p[i]) - mean
            q += d * d
            i += 1
        }
        return (mean, q / Double(n))
    }
}
