/// Reductions along one axis.
extension Tensor {
    /// The sum along `axis`, which is removed from the shape (torch `sum(dim)`).
    func cpuSum(alongAxis axis: Int) -> Tensor {
        let axis = normalizedAxis(axis)
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape.remove(at: axis)
        return Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { src in
                let s = src.baseAddress, d = out.baseAddress
                guard outer * inner > 0 else { return }
                parallelFor(outer, grain: max(1, 16_384 / max(1, n * inner))) { range in
                    for o in range {
                        let dst = d! + o * inner
                        dst.initialize(repeating: 0, count: inner)
                        for i in 0..<n {
                            let row = s! + (o * n + i) * inner
                            for j in 0..<inner { dst[j] += row[j] }
                        }
                    }
                }
            }
        }
    }
}
