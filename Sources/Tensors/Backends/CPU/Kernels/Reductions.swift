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
        meanAndVariance(count: n, pieceLength: max(n, 8)) { start, _ in p + start }
    }

    /// The same sums over values handed over in pieces: `piece(start, count)` gives values
    /// `start ..< start + count` (each pass asks for them in order). `pieceLength` must be a
    /// multiple of 8, so the 8-value partial sums are those of one contiguous run: the
    /// results are bit for bit the contiguous version's.
    @inline(__always)
    static func meanAndVariance(
        count n: Int, pieceLength: Int, _ piece: (Int, Int) -> UnsafePointer<Float>
    ) -> (mean: Double, variance: Double) {
        guard n > 0 else { return (0, 0) }
        var s = 0.0
        var start = 0
        while start < n {
            let count = min(pieceLength, n - start), p = piece(start, count)
            var i = 0
            while i + 8 <= count {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                s += Double(v.sum())
                i += 8
            }
            while i < count {
                s += Double(p[i])
                i += 1
            }
            start += count
        }
        let mean = s / Double(n)
        let m = Float(mean)
        var q = 0.0
        start = 0
        while start < n {
            let count = min(pieceLength, n - start), p = piece(start, count)
            var i = 0
            while i + 8 <= count {
                let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - m
                q += Double((d * d).sum())
                i += 8
            }
            while i < count {
                let d = Double(p[i]) - mean
                q += d * d
                i += 1
            }
            start += count
        }
        return (mean, q / Double(n))
    }
}
