import CKernels
import ReelflowTestSupport
import Testing
import Tensors
import TensorsTestSupport

/// The C bf16 rounding kernels (AVX-512 or AVX2 where the CPU has them, plain C elsewhere) give
/// exactly `BFloat16.bits(from:)`: on every edge value (ties, NaN, ±inf, denormals, the largest
/// floats) and every tail length; widening gives the word as the float's upper half.
@Suite struct BF16RoundingKernelTests {
    static let edges: [Float] = [
        0, -0, 1, -1, 1 + 0x1p-8, 1 + 0x1p-7 + 0x1p-8, 1 + 0x1p-9, .infinity, -.infinity, .nan, -.nan,
        Float(bitPattern: 0x7FA0_0001), .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 0x1p-130,
        .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 3.3895314e38, 65504, 0x1.0p-149 * 3,
    ]

    /// The AVX2 builds, which the dispatch passes over on an AVX-512 machine, against the
    /// definition too: a machine without AVX-512 runs them.
    @Test func avx2BuildsMatchTheScalarDefinition() {
        var rng = SeededRandom(seed: 14)
        var values = Self.edges
        for _ in 0..<200 { values.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))) }
        for n in 0...values.count {
            let x = Array(values.prefix(n))
            var words = [UInt16](repeating: 0xDEAD, count: n), floats = [Float](repeating: 7, count: n)
            var widened = [Float](repeating: 7, count: n + 1)
            x.withUnsafeBufferPointer { src in
                words.withUnsafeMutableBufferPointer { reelflow_f32_to_bf16_avx2(src.baseAddress, $0.baseAddress, n) }
                floats.withUnsafeMutableBufferPointer { reelflow_round_bf16_f32_avx2(src.baseAddress, $0.baseAddress, n) }
            }
            words.withUnsafeBufferPointer { src in
                widened.withUnsafeMutableBufferPointer { reelflow_bf16_to_f32_avx2(src.baseAddress, $0.baseAddress, n) }
            }
            #expect((0..<n).allSatisfy { words[$0] == BFloat16.bits(from: x[$0]) }, "n \(n)")
            #expect((0..<n).allSatisfy { floats[$0].bitPattern == UInt32(BFloat16.bits(from: x[$0])) << 16 }, "n \(n)")
            #expect((0..<n).allSatisfy { widened[$0].bitPattern == UInt32(words[$0]) << 16 } && widened[n] == 7, "n \(n)")
        }
    }

    @Test(arguments: KernelPath.allCases)
    func matchesTheScalarDefinition(path: KernelPath) {
        var rng = SeededRandom(seed: 12)
        var values = Self.edges
        for _ in 0..<500 { values.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))) }
        for n in 0...values.count {
            let x = Array(values.prefix(n))
            var words = [UInt16](repeating: 0xDEAD, count: n), floats = [Float](repeating: 7, count: n)
            x.withUnsafeBufferPointer { src in
                words.withUnsafeMutableBufferPointer { dst in
                    path == .dispatched
                        ? reelflow_f32_to_bf16(src.baseAddress, dst.baseAddress, n)
                        : reelflow_f32_to_bf16_portable(src.baseAddress, dst.baseAddress, n)
                }
                floats.withUnsafeMutableBufferPointer { dst in
                    path == .dispatched
                        ? reelflow_round_bf16_f32(src.baseAddress, dst.baseAddress, n)
                        : reelflow_round_bf16_f32_portable(src.baseAddress, dst.baseAddress, n)
                }
            }
            for i in 0..<n {
                #expect(words[i] == BFloat16.bits(from: x[i]), "n \(n), element \(i): \(x[i])")
                #expect(floats[i].bitPattern == UInt32(BFloat16.bits(from: x[i])) << 16, "n \(n), element \(i): \(x[i])")
            }
        }
    }

    @Test func wideningIsExactForEveryTailLength() {
        var rng = SeededRandom(seed: 13)
        let words = (0..<70).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
        for n in 0...words.count {
            var floats = [Float](repeating: 7, count: n + 1)
            words.withUnsafeBufferPointer { src in
                floats.withUnsafeMutableBufferPointer { reelflow_bf16_to_f32(src.baseAddress, $0.baseAddress, n) }
            }
            #expect((0..<n).allSatisfy { floats[$0].bitPattern == UInt32(words[$0]) << 16 }, "n \(n)")
            #expect(floats[n] == 7, "n \(n): wrote past the end")
        }
    }
}
