/// Shape ops. `reshaped`, `unsqueezed` and `squeezed` only relabel the shape (O(1), storage
/// shared); `permuted`, `transposed`, `sliced` and `concatenated` run on the backend and
/// return contiguous tensors.
extension Tensor {
    /// The same elements viewed under a new shape (row-major order unchanged). One extent may
    /// be -1 and is inferred. O(1): the storage is shared.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        require(inferred.count <= 1, "reshape \(shape) -> \(newShape): more than one -1")
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.map(\.element).reduce(1, *)
            require(known > 0 && count % known == 0, "reshape \(shape) -> \(newShape): cannot infer -1")
            resolved[axis] = count / known
        }
        require(
            resolved.allSatisfy { $0 >= 0 } && resolved.reduce(1, *) == count,
            "reshape \(shape) -> \(newShape): element count \(count) does not fit")
        var result = self
        result.setShape(resolved)
        return result
    }

    /// Axes reordered: result axis `i` is input axis `axes[i]` (as torch's `permute`).
    public func permuted(_ axes: [Int]) -> Tensor {
        require(
            axes.count == rank && Set(axes) == Set(0..<rank),
            "permute \(axes) is not a permutation of the \(rank) axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        return backend.permute(self, axes: axes)
    }

    /// Axes `a` and `b` swapped (torch's `transpose(a, b)`), copied contiguous.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(axes)
    }

    /// Elements `range` along `axis` (torch's `narrow`/basic slicing with step 1).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis)
        require(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "slice \(range) out of bounds for axis \(axis) of \(shape)")
        return backend.slice(self, axis: axis, range: range)
    }

    /// Tensors joined along `axis`; every other extent must match, and so must the dtype
    /// and the device.
    public static func concatenated(_ tensors: [Tensor], axis: Int) -> Tensor {
        require(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        let axis = first.normalizedAxis(axis)
        for t in tensors {
            require(
                t.rank == first.rank
                    && (0..<first.rank).allSatisfy { $0 == axis || t.shape[$0] == first.shape[$0] },
                "concat along axis \(axis): shape \(t.shape) does not match \(first.shape)")
            require(t.device == first.device, "concat of tensors on \(first.device) and \(t.device)")
        }
        return first.backend.concat(tensors, axis: axis)
    }

    /// A new axis of extent 1 inserted at `axis` (torch's `unsqueeze`).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let axis = axis < 0 ? axis + rank + 1 : axis
        require(axis >= 0 && axis <= rank, "unsqueeze axis \(axis) for shape \(shape)")
        var s = shape
        s.insert(1, at: axis)
        return reshaped(s)
    }

    /// The axis of extent 1 at `axis` removed (torch's `squeeze(axis)`).
    public func squeezed(_ axis: Int) -> Tensor {
        let axis = normalizedAxis(axis)
        require(shape[axis] == 1, "squeeze axis \(axis) of \(shape) whose extent is not 1")
        var s = shape
        s.remove(at: axis)
        return reshaped(s)
    }

    /// `axis` with negative values counted from the end, checked against the rank.
    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        require(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }
}

extension Tensor {
    /// Adds `values` into the box of this tensor that starts at `offsets` (torch
    /// `self[o0:o0+n0, o1:o1+n1, ...] += values`). In place when this tensor's storage is not
    /// shared (copy-on-write otherwise); the dtype stays this tensor's.
    /// - Precondition: same rank and device; the box lies inside this tensor.
    public mutating func addRegion(_ values: Tensor, at offsets: [Int]) {
        require(values.rank == rank && offsets.count == rank, "addRegion of \(values.shape) at \(offsets) into \(shape)")
        for axis in 0..<rank {
            require(
                offsets[axis] >= 0 && offsets[axis] + values.shape[axis] <= shape[axis],
                "addRegion box \(values.shape) at \(offsets) does not fit in \(shape)")
        }
        require(values.device == device, "addRegion of a tensor on \(values.device) into one on \(device)")
        let backend = self.backend
        backend.addRegion(&self, values, offsets: offsets)
    }
}
