import Tensors

/// Layout primitives, all through one strided-copy kernel (layout.cu): permute, slice,
/// concat, the space/depth shuffles and the in-place region sum of tiled decoding.
extension CUDABackend {
    /// Copies (or with `accumulate`, adds) `src` into `dst` over `g`'s iteration space
    /// (`g.a`/`offsetA` address dst, `g.b`/`offsetB` address src).
    func strided(_ dst: Tensor, _ src: Tensor, _ g: Geometry, accumulate: Bool = false) {
        let n = g.extents.reduce(1, *)
        context.launch(
            "rf_copy", items: n,
            [.pointer(pointer(dst)), .pointer(pointer(src)), g.argument, .int64(n), .int32(dst.dtype.code),
             .int32(src.dtype.code), .int32(accumulate ? 1 : 0)])
    }

    public func permute(_ x: Tensor, axes: [Int]) -> Tensor {
        let shape = axes.map { x.shape[$0] }
        let out = empty(shape, x.dtype)
        let from = Tensor.strides(of: x.shape)
        strided(out, x, Geometry(extents: shape, a: Tensor.strides(of: shape), b: axes.map { from[$0] }))
        return out
    }

    public func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        var shape = x.shape
        shape[axis] = range.count
        let out = empty(shape, x.dtype)
        let from = Tensor.strides(of: x.shape)
        var g = Geometry(extents: shape, a: Tensor.strides(of: shape), b: from)
        g.offsetB = range.lowerBound * from[axis]
        strided(out, x, g)
        return out
    }

    public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        let dtype = tensors.dropFirst().reduce(tensors[0].dtype) { DType.promoted($0, $1.dtype) }
        var shape = tensors[0].shape
        shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let out = empty(shape, dtype)
        let to = Tensor.strides(of: shape)
        var at = 0
        for t in tensors {
            var g = Geometry(extents: t.shape, a: to, b: Tensor.strides(of: t.shape))
            g.offsetA = at * to[axis]
            strided(out, t, g)
            at += t.shape[axis]
        }
        return out
    }

    public func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int]) {
        let context = self.context
        let bytes = base.count * base.dtype.byteSize
        let storage = base.uniqueStorage(as: CUDAStorage.self) { shared in
            let copy = CUDAStorage(bytes: bytes, context: context)
            context.copy(shared.pointer, to: copy.pointer, bytes: bytes)
            return copy
        }
        _ = storage
        let to = Tensor.strides(of: base.shape)
        var g = Geometry(extents: values.shape, a: to, b: Tensor.strides(of: values.shape))
        g.offsetA = zip(offsets, to).reduce(0) { $0 + $1.0 * $1.1 }
        strided(base, values, g, accumulate: true)
    }

    // MARK: Space/depth shuffles

    public func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        let (extents, spaceStrides) = shuffle(spatialShape: x.shape, factors: factors, order: order)
        let k = factors.count
        var outShape = [x.shape[0], x.shape[1] * factors.reduce(1, *)]
        outShape += (0..<k).map { x.shape[2 + $0] / factors[$0] }
        let out = empty(outShape, DType.result(of: [x]))
        // Iterate in the output's order; read the input through the shuffle's strides.
        strided(out, x, Geometry(extents: extents, a: Tensor.strides(of: extents), b: spaceStrides))
        return out
    }

    public func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        let k = factors.count
        var outShape = [x.shape[0], x.shape[1] / factors.reduce(1, *)]
        outShape += (0..<k).map { x.shape[2 + $0] * factors[$0] }
        let (extents, spaceStrides) = shuffle(spatialShape: outShape, factors: factors, order: order)
        let out = empty(outShape, DType.result(of: [x]))
        // Iterate in the input's order; write the output through the shuffle's strides.
        strided(out, x, Geometry(extents: extents, a: spaceStrides, b: Tensor.strides(of: extents)))
        return out
    }

    /// For the space-side tensor of shape `[B, C, S1..Sk]`: the iteration extents in depth-side
    /// order `[B, C, p…(in channel order), S1/p1..Sk/pk]` and the space-side strides of each.
    private func shuffle(spatialShape s: [Int], factors: [Int], order: SpaceToDepthOrder) -> ([Int], [Int]) {
        let k = factors.count
        let st = Tensor.strides(of: s)
        // Channel order of the factor offsets: time, height, width, or time, width, height.
        var offsetAxes = Array(0..<k)
        if order == .timeWidthHeight && k >= 2 { offsetAxes.swapAt(k - 2, k - 1) }
        let extents = [s[0], s[1]] + offsetAxes.map { factors[$0] } + (0..<k).map { s[2 + $0] / factors[$0] }
        let strides = [st[0], st[1]] + offsetAxes.map { st[2 + $0] } + (0..<k).map { st[2 + $0] * factors[$0] }
        return (extents, strides)
    }
}
