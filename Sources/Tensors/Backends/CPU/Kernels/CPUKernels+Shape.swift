/// Shape ops: reshape, permute, slice, concat. All results are contiguous row-major tensors;
/// `reshaped` shares storage (copy-on-write), the others copy: float32 elements, or bf16 words
/// as they are.
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
        func copy<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
            Tensor.stridedCopy(from: src, strides: srcStrides, shape: outShape, to: dst)
        }
        return moved(to: outShape, words: copy, floats: copy)
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
        func copy<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
            guard run > 0 else { return }
            for o in 0..<outer {
                (dst + o * run).update(from: src + o * srcStride + range.lowerBound * inner, count: run)
            }
        }
        return moved(to: outShape, words: copy, floats: copy)
    }

    /// Tensors joined along `axis`; every other extent must match. All float32, or all bf16
    /// (moved as words).
    static func cpuConcatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
        // Shapes were checked by `Tensor.concatenated`.
        let first = tensors[0]
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let outRun = outShape[axis] * inner
        func join<T>(_: T.Type, into out: UnsafeMutablePointer<T>) {
            var offset = 0
            for t in tensors {
                let run = t.shape[axis] * inner
                t.withUnsafeHostBytes { raw in
                    guard run > 0, let src = raw.bindMemory(to: T.self).baseAddress else { return }
                    for o in 0..<outer {
                        (out + o * outRun + offset).update(from: src + o * run, count: run)
                    }
                }
                offset += run
            }
        }
        if first.dtype == .bf16 {
            let n = outShape.reduce(1, *)
            let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
                if let base = out.baseAddress { join(UInt16.self, into: base) }
                initialized = n
            }
            return Tensor(shape: outShape, dtype: .bf16, storage: HostStorage(words: words))
        }
        return Tensor(shape: outShape) { out in join(Float.self, into: out.baseAddress!) }
    }

    /// A new tensor of `shape` in this tensor's dtype (float32, or bf16 moved as words: these
    /// ops only move elements, so no value is widened or rounded) filled from this tensor's
    /// elements by `words` or `floats` (one generic function, passed twice).
    private func moved(
        to shape: [Int], words: (UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>) -> Void,
        floats: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let n = shape.reduce(1, *)
        guard dtype == .bf16 else {
            return Tensor(shape: shape) { out in
                withUnsafeBufferPointer { src in
                    guard n > 0, let s = src.baseAddress, let d = out.baseAddress else { return }
                    floats(s, d)
                }
            }
        }
        let result = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { raw in
                guard n > 0, let s = raw.bindMemory(to: UInt16.self).baseAddress, let d = out.baseAddress else { return }
                words(s, d)
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: result))
    }

    /// Copies a strided view (`shape`, element `strides` over `src`) into contiguous `dst`.
    /// The outer rows are spread over threads; the innermost axis is a strided run.
    static func stridedCopy<T>(
        from src: UnsafePointer<T>, strides: [Int], shape: [Int], to dst: UnsafeMutablePointer<T>
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
