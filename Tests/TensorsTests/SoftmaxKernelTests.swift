import CKernels
import Foundation
import Testing

/// The C row kernels behind softmax and attention (AVX2 + FMA where the CPU has them, scalar
/// elsewhere): accuracy over the whole range, every tail length, and the edge values a
/// masked score row produces.
@Suite struct SoftmaxKernelTests {
    @Test func expShiftedSumIsAccurateOverTheWholeRange() {
        var xs: [Float] = []
        var x: Float = -87
        while x < 88 {
            xs.append(x)
            x += 0.0137
        }
        var ys = [Float](repeating: .nan, count: xs.count)
        let total = reelflow_exp_shifted_sum(xs, &ys, xs.count, 0)
        var worst: Float = 0
        var exact = 0.0
        for (x, y) in zip(xs, ys) {
            let e = Foundation.exp(Double(x))
            exact += e
            worst = max(worst, Float(abs(Double(y) - e) / e))
        }
        #expect(worst < 4e-7, "relative error \(worst)")
        // The sum of values up to e^88 overflows float32 to +inf, as a float sum must.
        #expect(total == .infinity && exact > Double(Float.greatestFiniteMagnitude))
        let moderate = xs.filter { abs($0) < 20 }
        var out = [Float](repeating: 0, count: moderate.count)
        let sum = reelflow_exp_shifted_sum(moderate, &out, moderate.count, 0)
        let exactSum = moderate.reduce(0.0) { $0 + Foundation.exp(Double($1)) }
        #expect(abs(Double(sum) - exactSum) / exactSum < 1e-5, "sum \(sum), exact \(exactSum)")
    }

    @Test(arguments: Array(0...40))
    func everyLengthAndShiftIsHandled(n: Int) {
        let xs = (0..<n).map { Float($0 % 7) * 0.75 - 2 }
        var ys = [Float](repeating: .nan, count: n)
        let total = reelflow_exp_shifted_sum(xs, &ys, n, 1.5)
        var sum: Float = 0
        for (x, y) in zip(xs, ys) {
            let e = Float(Foundation.exp(Double(x - 1.5)))
            #expect(abs(y - e) <= 4e-7 * e, "x \(x): \(y) vs \(e)")
            sum += y
        }
        #expect(abs(total - sum) <= 1e-5 * max(1, sum))
        #expect(reelflow_max_f32(xs, n) == (xs.max() ?? -.infinity))
    }

    @Test func maskedAndSpecialValues() {
        let xs: [Float] = [-.infinity, -100, 0, .nan, 200] + [Float](repeating: -.infinity, count: 11)
        var ys = [Float](repeating: 7, count: xs.count)
        _ = reelflow_exp_shifted_sum(xs, &ys, xs.count, 0)
        #expect(ys[0] == 0 && ys[1] == 0, "-inf and far-below-range scores give exactly 0")
        #expect(ys[2] == 1)
        #expect(ys[3].isNaN, "NaN stays NaN")
        let top = Float(Foundation.exp(Double(Float(88.3))))
        #expect(abs(ys[4] - top) / top < 1e-6, "clamped at 88.3: \(ys[4]) vs \(top)")
        #expect(ys[5...].allSatisfy { $0 == 0 })
        // The same through the scalar tail (fewer than 16 values).
        var short = [Float](repeating: 7, count: 5)
        _ = reelflow_exp_shifted_sum(Array(xs.prefix(5)), &short, 5, 0)
        #expect(short[0] == 0 && short[1] == 0 && short[2] == 1 && short[3].isNaN)
        let rowOfMasks = [Float](repeating: -.infinity, count: 33)
        #expect(reelflow_max_f32(rowOfMasks, 33) == -.infinity)
        #expect(reelflow_max_f32([], 0) == -.infinity)
    }
}
