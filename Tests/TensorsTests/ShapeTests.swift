import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

@Suite struct ShapeTests {
    @Test func permuteMatchesNaiveAndRoundTrips() {
        var rng = SeededRandom(seed: 30)
        for trial in 0..<40 {
            let rank = Int.random(in: 1...5, using: &rng)
            let shape = (0..<rank).map { _ in [0, 1, 2, 3, 5].randomElement(using: &rng)! }
            let axes = Array(0..<rank).shuffled(using: &rng)
            let x = rng.tensor(shape)
            let y = x.permuted(axes)
            #expect(y == Naive.permute(x, axes), "trial \(trial): permute \(shape) by \(axes)")
            var inverse = [Int](repeating: 0, count: rank)
            for (i, a) in axes.enumerated() { inverse[a] = i }
            #expect(y.permuted(inverse) == x, "trial \(trial): round trip")
        }
    }

    @Test func reshapeInfersAndSharesStorage() {
        let x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        #expect(x.reshaped([6, -1]).shape == [6, 4])
        #expect(x.reshaped([-1]).reshaped([2, 3, 4]) == x)
        #expect(x.unsqueezed(1).shape == [2, 1, 3, 4])
        #expect(x.unsqueezed(-1).squeezed(3) == x)
        #expect(x.transposed(0, 2).shape == [4, 3, 2])
        #expect(x.transposed(0, 2)[3, 1, 0] == x[0, 1, 3])
    }

    @Test func sliceAndConcatRoundTrip() {
        var rng = SeededRandom(seed: 31)
        let x = rng.tensor([3, 7, 4])
        for axis in 0..<3 {
            let n = x.shape[axis]
            for cut in 0...n {
                let parts = [x.sliced(axis: axis, 0..<cut), x.sliced(axis: axis, cut..<n)]
                #expect(Tensor.concatenated(parts, axis: axis) == x, "axis \(axis) cut \(cut)")
            }
        }
        #expect(x.sliced(axis: 1, 2..<4)[1, 0, 3] == x[1, 2, 3])
        #expect(x.sliced(axis: -1, 1..<2).shape == [3, 7, 1])
    }

    @Test(arguments: SpaceToDepthOrder.allCases)
    func spaceToDepthRoundTrips(order: SpaceToDepthOrder) {
        var rng = SeededRandom(seed: 32)
        let x3 = rng.tensor([2, 3, 4, 6, 8])
        for factors in [[1, 2, 2], [2, 2, 2], [2, 3, 4], [1, 1, 1]] {
            let y = x3.spaceToDepth(factors, order: order)
            #expect(y.shape == [2, 3 * factors.reduce(1, *), 4 / factors[0], 6 / factors[1], 8 / factors[2]])
            #expect(y.depthToSpace(factors, order: order) == x3)
        }
        let x2 = rng.tensor([1, 2, 6, 4])
        #expect(x2.spaceToDepth([3, 2], order: order).depthToSpace([3, 2], order: order) == x2)
    }

    @Test func spaceToDepthChannelOrder() {
        // One channel, one 2x2 block: [[a, b], [c, d]].
        let x = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        #expect(x.spaceToDepth([2, 2], order: .timeHeightWidth).hostScalars() == [1, 2, 3, 4])  // w fastest
        #expect(x.spaceToDepth([2, 2], order: .timeWidthHeight).hostScalars() == [1, 3, 2, 4])  // h fastest
    }
}
