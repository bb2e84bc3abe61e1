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

    /// The edge values, then `random` random bit patterns.
    static func values(seed: UInt64, random: Int) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return edges + (0..<random).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
    }

    /// `x` through a to-bf16 kernel and a round-to-bf16 kernel (outputs prefilled, so an
    /// unwritten element shows).
    static func run(
        _ x: [Float], toBF16: (UnsafePointer<Float>?, UnsafeMutablePointer<UInt16>?, Int) -> Void,
        round: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void
    ) -> (words: [UInt16], floats: [Float]) {
        let n = x.count
        var words = [UInt16](repeating: 0xDEAD, count: n), floats = [Float](repeating: 7, count: n)
        x.withUnsafeBufferPointer { src in
            words.withUnsafeMutableBufferPointer { toBF16(src.baseAddress, $0.baseAddress, n) }
            floats.withUnsafeMutableBufferPointer { round(src.baseAddress, $0.baseAddress, n) }
        }
        return (words, floats)
    }

    /// The AVX2 builds, which the dispatch passes over on an AVX-512 machine, against the
    /// definition too: a machine without AVX-512 runs them.
    @Test func avx2BuildsMatchTheScalarDefinition() {
        let values = Self.values(seed: 14, random: 200)
        for n in 0...values.count {
            let x = Array(values.prefix(n))
            let (words, floats) = Self.run(x, toBF16: { reelflow_f32_to_bf16_avx2($0, $1, $2) }, round: { reelflow_round_bf16_f32_avx2($0, $1, $2) })
            var widened = [Float](repeating: 7, count: n + 1)
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
        let values = Self.values(seed: 12, random: 500)
        for n in 0...values.count {
            let x = Array(values.prefix(n))
            let (words, floats) = path == .dispatched
                ? Self.run(x, toBF16: { reelflow_f32_to_bf16($0, $1, $2) }, round: { reelflow_round_bf16_f32($0, $1, $2) })
                : Self.run(x, toBF16: { reelflow_f32_to_bf16_portable($0, $1, $2) }, round: { reelflow_round_bf16_f32_portable($0, $1, $2) })
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
