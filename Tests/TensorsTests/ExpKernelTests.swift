import CKernels
import Foundation
import Testing

/// The C kernels behind softmax, attention and the activations (AVX2 + FMA where the CPU has them, scalar
/// elsewhere): accuracy over the whole range, every tail length, and the edge values a
/// masked score row produces.
/// Which build of a kernel a test runs: the one the CPU gets (AVX2 + FMA here), or the plain
/// C a CPU without them would get.
enum KernelPath: String, CaseIterable, Sendable {
    case dispatched, portable

    func expShiftedSum(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ shift: Float) -> Float {
        self == .dispatched ? reelflow_exp_shifted_sum(x, y, n, shift) : reelflow_exp_shifted_sum_portable(x, y, n, shift)
    }

    func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        self == .dispatched ? reelflow_max_f32(x, n) : reelflow_max_f32_portable(x, n)
    }

    func activation(_ kind: Int32, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        self == .dispatched ? reelflow_activation_f32(kind, x, y, n) : reelflow_activation_f32_portable(kind, x, y, n)
    }
}

@Suite struct ExpKernelTests {
    /// The exponential with the scale inside (attention's unmasked float32 tiles) gives the
    /// values and the sum of a scaling pass and then the exponential, to the bit, over tails of
    /// every length of a 16-lane vector.
    @Test(arguments: [0, 1, 5, 15, 16, 17, 40, 640])
    func scaledSumMatchesAScalingPassThenTheExponential(count: Int) {
        var state: UInt32 = 12345
        let x = (0..<count).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state)) / Float(Int32.max) * 9
        }
        let scale: Float = 0.17677669, shift: Float = 1.25
        let scaled = x.map { $0 * scale }
        var expected = [Float](repeating: .nan, count: count), got = expected
        let expectedSum = reelflow_exp_shifted_sum(scaled, &expected, count, shift)
        let sum = reelflow_exp_scaled_sum(x, &got, count, scale, shift)
        #expect(sum.bitPattern == expectedSum.bitPattern)
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
        // Sanity mutation: another scale gives other values.
        var other = got
        _ = reelflow_exp_scaled_sum(x, &other, count, scale * 1.001, shift)
        #expect(count == 0 || other != got)
    }

    @Test(arguments: KernelPath.allCases)
    func expShiftedSumIsAccurateOverTheWholeRange(path: KernelPath) {
        var xs: [Float] = []
        var x: Float = -87
        while x < 88 {
            xs.append(x)
            x += 0.0137
        }
        var ys = [Float](repeating: .nan, count: xs.count)
        let total = path.expShiftedSum(xs, &ys, xs.count, 0)
        var worst: Float = 0
        var exact = 0.0
        for (x, y) in zip(xs, ys) {
            let e = Foundation.exp(Double(x))
            exact += e
            worst = max(worst, Float(abs(Double(y) - e) / e))
        }
        #expect(worst < 4e-7, "relative error \(worst)")
        // The sum of values up to e^88 overflows float32 to +inf, as a float sum must.
        // Just below the overflow bound the value is finite and right (n = 128 there).
        var top: [Float] = [88.72, 88.5]
        _ = path.expShiftedSum(top, &top, 2, 0)
        for (x, y) in zip([Float(88.72), 88.5], top) {
            let e = Foundation.exp(Double(x))
            #expect(abs(Double(y) - e) / e < 4e-7, "e^\(x) = \(y), exact \(e)")
        }
        #expect(total == .infinity && exact > Double(Float.greatestFiniteMagnitude))
        let moderate = xs.filter { abs($0) < 20 }
        var out = [Float](repeating: 0, count: moderate.count)
        let sum = path.expShiftedSum(moderate, &out, moderate.count, 0)
        let exactSum = moderate.reduce(0.0) { $0 + Foundation.exp(Double($1)) }
        #expect(abs(Double(sum) - exactSum) / exactSum < 1e-5, "sum \(sum), exact \(exactSum)")
    }

    @Test(arguments: KernelPath.allCases, Array(0...40))
    func everyLengthAndShiftIsHandled(path: KernelPath, n: Int) {
        let xs = (0..<n).map { Float($0 % 7) * 0.75 - 2 }
        var ys = [Float](repeating: .nan, count: n)
        let total = path.expShiftedSum(xs, &ys, n, 1.5)
        var sum: Float = 0
        for (x, y) in zip(xs, ys) {
            let e = Float(Foundation.exp(Double(x - 1.5)))
            #expect(abs(y - e) <= 4e-7 * e, "x \(x): \(y) vs \(e)")
            sum += y
        }
        #expect(abs(total - sum) <= 1e-5 * max(1, sum))
        #expect(path.max(xs, n) == (xs.max() ?? -.infinity))
    }

    @Test(arguments: KernelPath.allCases)
    func maskedAndSpecialValues(path: KernelPath) {
        let xs: [Float] = [-.infinity, -100, 0, .nan, 200] + [Float](repeating: -.infinity, count: 11)
        var ys = [Float](repeating: 7, count: xs.count)
        _ = path.expShiftedSum(xs, &ys, xs.count, 0)
        #expect(ys[0] == 0 && ys[1] == 0, "-inf and far-below-range scores give exactly 0")
        #expect(ys[2] == 1)
        #expect(ys[3].isNaN, "NaN stays NaN")
        #expect(ys[4] == .infinity, "e^200 overflows float32")
        #expect(ys[5...].allSatisfy { $0 == 0 })
        // The same through the scalar tail (fewer than 16 values).
        var short = [Float](repeating: 7, count: 5)
        _ = path.expShiftedSum(Array(xs.prefix(5)), &short, 5, 0)
        #expect(short[0] == 0 && short[1] == 0 && short[2] == 1 && short[3].isNaN)
        let rowOfMasks = [Float](repeating: -.infinity, count: 33)
        #expect(path.max(rowOfMasks, 33) == -.infinity)
        #expect(path.max([], 0) == -.infinity)
    }

    /// Each activation against its formula in double precision, over [-30, 30] and beyond,
    /// through both the 8-wide body and the padded tail.
    @Test(arguments: KernelPath.allCases, [
        (Int32(REELFLOW_EXP), "exp"), (Int32(REELFLOW_SIGMOID), "sigmoid"),
        (Int32(REELFLOW_SILU), "silu"), (Int32(REELFLOW_GELU_TANH), "gelu"),
    ])
    func activationsMatchTheirFormulas(path: KernelPath, function: (kind: Int32, name: String)) {
        let (kind, name) = function
        func exact(_ x: Double) -> Double {
            switch name {
            case "exp": Foundation.exp(x)
            case "sigmoid": 1 / (1 + Foundation.exp(-x))
            case "silu": x / (1 + Foundation.exp(-x))
            default: 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
            }
        }
        var xs: [Float] = [0, -0.0, 1e-8, -1e-8, 100, -100]
        var x: Float = name == "exp" ? -80 : -30
        while x < (name == "exp" ? 80 : 30) {
            xs.append(x)
            x += 0.0173
        }
        for n in [xs.count, 1, 7, 9] {
            var ys = [Float](repeating: .nan, count: n)
            path.activation(kind, xs, &ys, n)
            for (x, y) in zip(xs.prefix(n), ys) {
                let e = exact(Double(x))
                if Float(e).isInfinite {
                    #expect(y == Float(e), "\(name)(\(x)) = \(y): float32 overflows")
                    continue
                }
                // Relative where the value is large, absolute near zero (where the formulas
                // cancel), as torch's own kernels differ from libm there too.
                let tolerance = max(2e-6 * abs(e), name == "gelu" ? 2e-7 : 1e-30)
                #expect(abs(Double(y) - e) <= tolerance, "\(name)(\(x)) = \(y), exact \(e)")
            }
        }
        var nan: [Float] = [.nan]
        path.activation(kind, nan, &nan, 1)
        #expect(nan[0].isNaN, "\(name)(NaN) is NaN")
    }

    /// The AVX-512 build (taken where the CPU has it) gives the AVX2 build's bits exactly,
    /// every value, the sum and the row max, for every tail length and the edge values; so results do not
    /// depend on which of the two a machine runs. Checked where the CPU has AVX-512.
    @Test(.enabled(if: reelflow_cpu_vector_level() >= 2, "this CPU has no AVX-512"))
    func avx512MatchesAVX2BitForBit() {
        var xs: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 88.72283, 88.73, -87.33654, -87.34, 1e-8, -1e-8]
        var x: Float = -100
        while x < 100 {
            xs.append(x)
            x += 0.0371
        }
        // Densely where the result turns denormal or the exponent reaches its ends.
        for start: Float in [-88, 87.5] {
            for i in 0..<2000 { xs.append(start + Float(i) * 0.000_7) }
        }
        for n in [xs.count, 1, 15, 16, 17, 31, 33] {
            var a = [Float](repeating: 0, count: n), b = [Float](repeating: 0, count: n)
            let sa = reelflow_exp_shifted_sum(xs, &a, n, 0.5), sb = reelflow_exp_shifted_sum_avx2(xs, &b, n, 0.5)
            #expect(sa.bitPattern == sb.bitPattern || (sa.isNaN && sb.isNaN), "sum of \(n)")
            #expect(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "exp of \(n)")
            // The row max, NaN included (which NaN wins depends on the lanes' order).
            for first in [0, 2, 5] where first < n {
                let ma = reelflow_max_f32(Array(xs[first...]), n - first), mb = reelflow_max_f32_avx2(Array(xs[first...]), n - first)
                #expect(ma.bitPattern == mb.bitPattern, "max of \(n - first) from \(first)")
            }
            for kind in [REELFLOW_EXP, REELFLOW_SIGMOID, REELFLOW_SILU, REELFLOW_GELU_TANH] {
                reelflow_activation_f32(Int32(kind), xs, &a, n)
                reelflow_activation_f32_avx2(Int32(kind), xs, &b, n)
                #expect(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "activation \(kind) of \(n)")
            }
        }
    }
}

/// The fused softmax exponential of bf16 attention gives the words and the sum of the three
/// passes it replaces (scale, `reelflow_exp_shifted_sum`, `reelflow_f32_to_bf16`), bit for bit,
/// at every tail length and on the values a score row can hold.
@Suite struct FusedExpKernelTests {
    @Test(arguments: [0, 1, 15, 16, 17, 31, 100, 512, 1500])
    func scaledExpToBF16MatchesTheThreePasses(n: Int) {
        var rng = SystemRandomNumberGenerator()
        var xs = (0..<n).map { _ in Float.random(in: -40...40, using: &rng) }
        if n > 4 { xs[1] = .nan; xs[2] = -.infinity; xs[3] = 1e-30 }
        let scale: Float = 0.125, shift: Float = xs.filter { !$0.isNaN }.max().map { $0 * 0.125 } ?? 0
        var words = [UInt16](repeating: 0xFFFF, count: n)
        let fusedSum = reelflow_exp_scaled_sum_bf16(xs, &words, n, scale, shift)
        var scaled = xs.map { $0 * scale }
        let sum = reelflow_exp_shifted_sum(scaled, &scaled, n, shift)
        var expected = [UInt16](repeating: 0, count: n)
        reelflow_f32_to_bf16(scaled, &expected, n)
        #expect(words == expected)
        #expect(fusedSum.bitPattern == sum.bitPattern || (fusedSum.isNaN && sum.isNaN), "\(fusedSum) against \(sum)")
    }
}
