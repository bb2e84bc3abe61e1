extension Tensor {
    /// Adds float32 `values` into the box at `offsets` of this float32 CPU tensor, in place
    /// (copy-on-write: the storage is copied first if shared or mapped). Rows along the last
    /// axis are added with one vectorised loop each; rows are spread over the thread pool.
    mutating func cpuAddRegion(_ values: Tensor, offsets: [Int]) {
        let rank = shape.count
        guard values.count > 0 else { return }
        let run = values.shape[rank - 1]
        let rows = values.count / run
        let baseStrides = strides
        let outerShape = Array(values.shape.dropLast())
        withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { src in
                let o = out.baseAddress!, s = src.baseAddress!
                parallelFor(rows) { range in
                    for row in range {
                        var rest = row, at = offsets[rank - 1]
                        for axis in stride(from: rank - 2, through: 0, by: -1) {
                            at += (rest % outerShape[axis] + offsets[axis]) * baseStrides[axis]
                            rest /= outerShape[axis]
                        }
                        let dst = o + at, from = s + row * run
                        for i in 0..<run { dst[i] += from[i] }
                    }
                }
            }
        }
    }
}
