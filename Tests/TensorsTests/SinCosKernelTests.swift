import CKernels
import Foundation
import ReelflowTestSupport
import Testing
@testable import Tensors

/// The vectorised sin and cos (`reelflow_sincos_f32`, RoPE tables and timestep features)
/// against the correctly rounded values, the AVX2 path against the dispatched one, and the C
/// library's results where the kernel hands over to it.
@Suite struct SinCosKernelTests {
    /// Arguments across RoPE's range: dense near 0, random up to 16000 rad (the full-size
    /// tables' largest angles), powers of two up to the limit, and neighbours of multiples of
    /// π/2 (where the reduction cancels most).
    static let arguments: [Float] = {
        var rng = SeededRandom(seed: 77)
        var a = (0..<4001).map { Float($0 - 2000) / 500 }
        a += (0..<20000).map { _ in Float.random(in: -16000...16000, using: &rng) }
        a += (0..<17).flatMap { e -> [Float] in let v = Float(1 << e); return [v, -v, v.nextUp, v.nextDown] }
        for k in stride(from: 1, to: 40000, by: 97) {
            let v = Float(Double(k) * Double.pi / 2)
            a += [v, v.nextUp, v.nextDown, -v]
        }
        return a
    }()

    static func run(_ kernel: (Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void, cosine: Bool, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        kernel(cosine ? 1 : 0, x, &y, x.count)
        return y
    }

    /// Units in the last place between `y` and the correctly rounded value of the function.
    static func ulps(_ y: Float, _ exact: Double) -> Double {
        let e = Float(exact)
        return abs(Double(y) - exact) / Double(e.ulp == 0 ? Float.leastNonzeroMagnitude : e.ulp)
    }

    @Test(arguments: [false, true])
    func withinTwoUlpsOfTheExactValue(cosine: Bool) {
        let x = Self.arguments
        var worst = 0.0
        for kernel in [reelflow_sincos_f32, reelflow_sincos_f32_avx2] {
            let y = Self.run(kernel, cosine: cosine, x)
            for i in x.indices {
                let exact = cosine ? Foundation.cos(Double(x[i])) : Foundation.sin(Double(x[i]))
                worst = max(worst, Self.ulps(y[i], exact))
            }
        }
        #expect(worst <= 2, "worst \(worst) ulp")
        // Sanity mutation: the other function is far off.
        let other = Self.run(reelflow_sincos_f32, cosine: !cosine, Array(x[0..<100]))
        #expect(zip(other, x).contains { y, a in Self.ulps(y, cosine ? Foundation.cos(Double(a)) : Foundation.sin(Double(a))) > 1000 })
    }

    /// Both vector paths run the same operations, so they agree to the bit, tails included.
    @Test func avx2MatchesDispatched() {
        for n in [1, 7, 8, 15, 16, 17, 33, 1000] {
            let x = Array(Self.arguments[0..<n]) + []
            for cosine in [false, true] {
                let a = Self.run(reelflow_sincos_f32, cosine: cosine, x), b = Self.run(reelflow_sincos_f32_avx2, cosine: cosine, x)
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(n) values")
            }
        }
    }

    /// Beyond |x| = 65536, infinities and NaN are the C library's; -0 keeps its sign; the
    /// kernel works in place.
    @Test func edgesAreTheCLibrarys() {
        let x: [Float] = [65536.5, -1e7, 3e38, .infinity, -.infinity, .nan, -0.0, 0, 1e-30, -1e-30, 65536, 12.5]
        for cosine in [false, true] {
            for kernel in [reelflow_sincos_f32, reelflow_sincos_f32_avx2] {
                var y = x
                y.withUnsafeMutableBufferPointer { kernel(cosine ? 1 : 0, $0.baseAddress, $0.baseAddress, $0.count) }
                let libm = Self.run(reelflow_sincos_f32_portable, cosine: cosine, x)
                for i in 0..<10 {
                    #expect(y[i].bitPattern == libm[i].bitPattern || (y[i].isNaN && libm[i].isNaN), "\(cosine ? "cos" : "sin")(\(x[i]))")
                }
                #expect(abs(y[10] - libm[10]) <= 2 * libm[10].ulp && abs(y[11] - libm[11]) <= 2 * libm[11].ulp)
            }
        }
    }

    /// `Tensor.cos()` and `sin()` run the kernel.
    @Test func tensorOpsUseTheKernel() {
        let x = Array(Self.arguments[0..<5000])
        let t = Tensor(shape: [x.count], scalars: x)
        #expect(t.cos().hostScalars().map(\.bitPattern) == Self.run(reelflow_sincos_f32, cosine: true, x).map(\.bitPattern))
        #expect(t.sin().hostScalars().map(\.bitPattern) == Self.run(reelflow_sincos_f32, cosine: false, x).map(\.bitPattern))
    }
}
