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

    /// The bf16 kernels' read pattern `(i / r) % p` reaches the same operand element as the
    /// strided offsets wherever it claims to describe the broadcast, and declines the rest.
    @Test func readPatternsMatchBroadcastOffsets() {
        let cases: [([Int], [Int], Bool)] = [
            ([2, 3, 16], [2, 3, 16], true),  // same shape
            ([2, 3, 16], [16], true),  // row vector
            ([2, 3, 16], [1, 1, 16], true),
            ([2, 3, 4, 8], [2, 3, 4, 1], true),  // one value per row (the per-head gate)
            ([2, 3, 16], [1], true),  // one value
            ([1, 5, 16], [1, 1, 16], true),
            ([2, 3, 16], [2, 1, 16], false),  // broadcast between two own axes
            ([2, 3, 16], [1, 3, 1], true),  // [3] repeated 16 times, wrapped per batch
        ]
        for (out, shape, describable) in cases {
            let pattern = CUDABackend.readPattern(shape, to: out)
            #expect((pattern != nil) == describable, "\(shape) to \(out)")
            guard let (r, p) = pattern else { continue }
            let g = Geometry(extents: out, a: Tensor.strides(of: out), b: Geometry.broadcastStrides(shape, to: out))
            let expected = offsets(g).map { $0[1] }
            let actual = (0..<out.reduce(1, *)).map { p == 0 ? $0 / r : ($0 / r) % p }
            #expect(actual == expected, "\(shape) to \(out): (r \(r), p \(p))")
        }
    }
}
