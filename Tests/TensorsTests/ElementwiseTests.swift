import Foundation
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

@Suite struct ElementwiseTests {
    @Test func fastExpIsAccurate() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let e = Float(Foundation.exp(Double(x)))
            worst = max(worst, abs(FastMath.exp(x) - e) / e)
            x += 0.0137
        }
        #expect(worst < 4e-7, "relative error \(worst)")
        #expect(FastMath.exp(-.infinity) == 0)
        #expect(FastMath.exp(-100) == 0)
        #expect(FastMath.exp(0) == 1)
    }

    @Test func broadcastingMatchesExplicitLoops() {
        var rng = SeededRandom(seed: 40)
        let cases: [([Int], [Int])] = [
            ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([1, 3, 1], [2, 1, 5]), ([2, 3, 4, 5, 6], [1, 3, 1, 1, 1]),
            ([5], []), ([0, 3], [3]), ([2, 1], [1, 0]),
        ]
        for (sa, sb) in cases {
            let a = rng.tensor(sa), b = rng.tensor(sb)
            let out = Tensor.broadcastShape(sa, sb)!
            let y = a * b + a
            #expect(y.shape == out)
            // Explicit broadcast: index each operand with 0 along its repeated axes.
            let strides = out.indices.map { out[($0 + 1)...].reduce(1, *) }
            for flat in 0..<y.count {
                let index = out.indices.map { (flat / strides[$0]) % out[$0] }
                func value(_ t: Tensor) -> Float {
                    let pad = out.count - t.rank
                    let i = (0..<t.rank).map { t.shape[$0] == 1 ? 0 : index[$0 + pad] }
                    return t.rank == 0 ? t.hostScalars()[0] : t.hostScalars()[zip(i, t.strides).reduce(0) { $0 + $1.0 * $1.1 }]
                }
                #expect(y.hostScalars()[flat] == value(a) * value(b) + value(a))
            }
        }
        #expect(Tensor.broadcastShape([2, 3], [4, 3]) == nil)
    }

    @Test func scalarOperands() {
        var rng = SeededRandom(seed: 41)
        let x = rng.tensor([3, 5])
        #expect((x * 2 + 1).hostScalars() == x.hostScalars().map { $0 * 2 + 1 })
        #expect((2 * x - 1).hostScalars() == x.hostScalars().map { 2 * $0 - 1 })
        #expect((x / 4).hostScalars() == x.hostScalars().map { $0 / 4 })
        #expect((-x).hostScalars() == x.hostScalars().map { -$0 })
        #expect((1 + Tensor(3)).hostScalars() == [4])
        #expect(x.map { $0 * $0 }.hostScalars() == x.hostScalars().map { $0 * $0 })
    }

    @Test func activationsMatchTheirDefinitions() {
        var rng = SeededRandom(seed: 42)
        let x = rng.tensor([1000], scale: 5)
        let silu = Tensor(shape: [1000], scalars: x.hostScalars().map { $0 / (1 + Foundation.exp(-$0)) })
        expectClose(x.silu(), silu, absolute: 1e-6, relative: 1e-5, "silu")
        let gelu = Tensor(
            shape: [1000],
            scalars: x.hostScalars().map { (v: Float) -> Float in
                let inner: Float = (2 / Float.pi).squareRoot() * (v + 0.044715 * v * v * v)
                return 0.5 * v * (1 + Foundation.tanh(inner))
            })
        expectClose(x.geluTanh(), gelu, absolute: 1e-6, relative: 1e-5, "gelu tanh")
        // Sanity mutation: exact (erf) GELU differs from the tanh form by more than this.
        let erfGelu = Tensor(
            shape: [1000],
            scalars: x.hostScalars().map { (v: Float) -> Float in
                let e: Float = Foundation.erf(v / Float(2).squareRoot())
                return 0.5 * v * (1 + e)
            })
        expectFar(x.geluTanh(), erfGelu, absolute: 1e-6, relative: 1e-5, "erf vs tanh GELU")
    }

    @Test func bf16RoundingIsNearestEven() {
        // 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to even (1).
        let x = Tensor(shape: [4], scalars: [1 + 0x1p-8, 1 + 3 * 0x1p-8, .nan, -0.0])
        let y = x.roundedToBF16()
        #expect(y.hostScalars()[0] == 1)
        #expect(y.hostScalars()[1] == 1 + 0x1p-6)
        #expect(y.hostScalars()[2].isNaN)
        #expect(y.hostScalars()[3].sign == .minus)
    }

    @Test func reductions() {
        let x = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        #expect(x.sum(alongAxis: 1).hostScalars() == [6, 9, 24, 27])
        #expect(x.mean(alongAxis: -1).hostScalars() == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
    }
}
