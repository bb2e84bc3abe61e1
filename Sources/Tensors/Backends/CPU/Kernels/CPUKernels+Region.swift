internal import CKernels

extension Tensor {
    /// Adds float32 `values` into the box at `offsets` of this float32 CPU tensor, in place
    /// (copy-on-write: the storage is copied first if shared or mapped). Rows along the last
    /// axis are added with one vectorised loop each; rows are spread over the thread pool.
    mutating func cpuAddRegion(_ values: Tensor, offsets: [Int]) {
        guard values.count > 0 else { return }
        let rows = regionRows(values, offsets: offsets)
        withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { src in
                let o = out.baseAddress!, s = src.baseAddress!
                parallelFor(rows.count) { range in
                    for row in range {
                        let dst = o + rows.start(row), from = s + row * rows.run
                        for i in 0..<rows.run { dst[i] += from[i] }
                    }
                }
            }
        }
    }

    /// The same on a bf16 tensor, in place: each region row is widened, `values` (bf16 or
    /// float32) added in float32 and the sum rounded back, which is what widening the whole
    /// tensor, adding and rounding gives (the elements outside the region round to themselves),
    /// without that float32 copy: the tiled decode adds every tile to a group's sums.
    mutating func cpuAddRegionBF16(_ values: Tensor, offsets: [Int]) {
        guard values.count > 0 else { return }
        let rows = regionRows(values, offsets: offsets)
        let piece = Swift.min(rows.run, Tensor.bf16Chunk)
        let wide = values.dtype == .f32
        withUnsafeMutableWords { out in
            values.withUnsafeHostBytes { raw in
                guard let o = out.baseAddress, let base = raw.baseAddress else { return }
                parallelFor(rows.count) { range in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * piece) { buffer in
                        let x = buffer.baseAddress!, y = x + piece
                        for row in range {
                            var j = 0
                            while j < rows.run {
                                let m = Swift.min(piece, rows.run - j), at = rows.start(row) + j, from = row * rows.run + j
                                reelflow_bf16_to_f32(o + at, x, m)
                                if wide {
                                    y.update(from: base.assumingMemoryBound(to: Float.self) + from, count: m)
                                } else {
                                    reelflow_bf16_to_f32(base.assumingMemoryBound(to: UInt16.self) + from, y, m)
                                }
                                for k in 0..<m { x[k] += y[k] }
                                reelflow_f32_to_bf16(x, o + at, m)
                                j += m
                            }
                        }
                    }
                }
            }
        }
    }

    /// The rows of `values` (runs along the last axis) and where each starts in this tensor
    /// when `values` lies at `offsets`.
    private func regionRows(_ values: Tensor, offsets: [Int]) -> (count: Int, run: Int, start: (Int) -> Int) {
        let rank = shape.count
        let run = values.shape[rank - 1]
        let baseStrides = strides
        let outerShape = Array(values.shape.dropLast())
        return (values.count / run, run, { row in
            var rest = row, at = offsets[rank - 1]
            for axis in stride(from: rank - 2, through: 0, by: -1) {
                at += (rest % outerShape[axis] + offsets[axis]) * baseStrides[axis]
                rest /= outerShape[axis]
            }
            return at
        })
    }
}
