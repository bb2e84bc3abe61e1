/// Shape ops: reshape, permute, slice, concat. All results are contiguous row-major tensors;
/// `reshaped` shares storage (copy-on-write), the others copy.
extension Tensor {
    /// Axes reordered: result axis `i` is input axis `axes[i]` (as torch's `permute`).
    func cpuPermuted(_ axes: [Int]) -> Tensor {
        require(
            axes.count == rank && Set(axes) == Set(0..<rank),
            "permute \(axes) is not a permutation of the \(rank) axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = strides
        let srcStrides = axes.map { inStrides[$0] }
        return Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { src in
                Tensor.stridedCopy(
                    from: src.baseAddress!, strides: srcStrides, shape: outShape,
                    to: out.baseAddress!)
            }
        }
    }

    /// Elements `range` along `axis` (torch's `narrow`/basic slicing with step 1).
    func cpuSliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis)
        require(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice \(range) out of bounds for axis \(axis) of \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let run = range.count * inner
        let srcStride = shape[axis] * inner
        return Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { src in
                guard run > 0 else { return }
                for o in 0..<outer {
                    (out.baseAddress! + o * run).update(
                        from: src.baseAddress! + o * srcStride + range.lowerBound * inner, count: run)
                }
            }
        }
    }

    /// Tensors joined along `axis`; every other extent must match.
    static func cpuConcatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
        // Shapes were checked by `Tensor.concatenated`.
        let first = tensors[0]
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let outRun = outShape[axis] * inner
        return Tensor(shape: outShape) { out in
            var offset = 0
            for t in tensors {
                let run = t.shape[axis] * inner
                t.withUnsafeBufferPointer { src in
                    guard run > 0 else { return }
                    for o in 0..<outer {
                        (out.baseAddress! + o * outRun + offset).update(
                            from: src.baseAddress! + o * run, count: run)
                    }
                }
                offset += run
            }
        }
    }

    /// Copies a strided view (`shape`, element `strides` over `src`) into contiguous `dst`.
    /// The outer rows are spread over threads; the innermost axis is a strided run.
    static func stridedCopy(
        from src: UnsafePointer<Float>, strides: [Int], shape: [Int], to dst: UnsafeMutablePointer<Float>
    ) {
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        // Merge output axes that are also adjacent and contiguous in the source (and drop
        // extents of 1), so e.g. [B, T, H, d] -> [B, H, T, d] copies whole d-runs.
        var shape = shape, strides = strides
        var axis = shape.count - 2
        while axis >= 0 {
            if shape[axis + 1] == 1 {
                shape.remove(at: axis + 1)
                strides.remove(at: axis + 1)
            } else if shape[axis] == 1 || strides[axis] == strides[axis + 1] * shape[axis + 1] {
                strides[axis] = strides[axis + 1]
                shape[axis] *= shape[axis + 1]
                shape.remove(at: axis + 1)
                strides.remove(at: axis + 1)
            }
            axis -= 1
        }
        guard let last = shape.last else {
            dst[0] = src[0]
            return
        }
        let innerStride = strides[strides.count - 1]
        let rows = total / last
        let outerShape = Array(shape.dropLast())
        let outerStrides = Array(strides.dropLast())
        parallelFor(rows, grain: max(1, 16_384 / max(1, last))) { range in
            // Decompose the first row index of the range, then step like an odometer.
            var index = [Int](repeating: 0, count: outerShape.count)
            var rem = range.lowerBound
            for axis in outerShape.indices.reversed() {
                index[axis] = rem % outerShape[axis]
                rem /= outerShape[axis]
            }
            var base = zip(index, outerStrides).reduce(0) { $0 + $1.0 * $1.1 }
            for row in range {
                let d = dst + row * last
                let s = src + base
                if innerStride == 1 {
                    d.update(from: s, count: last)
                } else {
                    for j in 0..<last { d[j] = s[j * innerStride] }
                }
                var axis = outerShape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    base += outerStrides[axis]
                    if index[axis] < outerShape[axis] { break }
                    base -= outerStrides[axis] * outerShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
