import Tensors
import Testing

@testable import CUDABackend

/// The index maps the strided kernels take: merging axes must not change which element of
/// each operand an iteration index reaches.
@Suite struct GeometryTests {
    /// Offsets of every iteration index under `g`, computed as the kernels do.
    func offsets(_ g: Geometry) -> [[Int]] {
        let n = g.extents.reduce(1, *)
        let b = g.b.isEmpty ? [Int](repeating: 0, count: g.extents.count) : g.b
        return (0..<n).map { index in
            var (i, oa, ob) = (index, g.offsetA, g.offsetB)
            for axis in g.extents.indices.reversed() {
                let r = i % g.extents[axis]
                i /= g.extents[axis]
                oa += r * g.a[axis]
                ob += r * b[axis]
            }
            return [oa, ob]
        }
    }

    @Test func mergingAxesKeepsEveryOffset() {
        let shapes: [([Int], [Int])] = [([2, 3, 4], [1, 1, 4]), ([1, 5, 6], [1, 1, 1]), ([3, 1, 4, 2], [3, 1, 1, 2]), ([7], [7])]
        for (out, other) in shapes {
            var g = Geometry(extents: out, a: Tensor.strides(of: out), b: Geometry.broadcastStrides(other, to: out))
            g.offsetB = 3
            let merged = g.coalesced()
            #expect(offsets(merged) == offsets(g), "\(out) with \(other)")
            #expect(merged.extents.count <= out.count)
        }
        // A permutation cannot merge; a contiguous copy becomes one axis.
        let permuted = Geometry(extents: [4, 3], a: [3, 1], b: [1, 4])
        #expect(permuted.coalesced().extents == [4, 3])
        #expect(Geometry(extents: [2, 3, 4], a: [12, 4, 1], b: [12, 4, 1]).coalesced().extents == [24])
    }
}
