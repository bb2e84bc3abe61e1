import CKernels
import ReelflowTestSupport
import Testing
import Tensors

/// The C row kernels of the bf16 transformer block (AdaLN modulation, gated residual) give,
/// from bf16 words, exactly the words of torch's step-by-step bf16 rounding as the Swift
/// formula writes it: on the edge values (NaN, ±inf, denormals, the largest floats, ties),
/// random bit patterns and every tail length, on the dispatched (AVX-512) and the plain C build.
@Suite struct BF16RowKernelTests {
    typealias Kernel = (UnsafePointer<UInt16>?, UnsafePointer<UInt16>?, UnsafePointer<UInt16>?, UnsafeMutablePointer<UInt16>?, Int) -> Void

    static func words(seed: UInt64, count: Int) -> [UInt16] {
        var rng = SeededRandom(seed: seed)
        let edges = BF16RoundingKernelTests.edges.map { BFloat16.bits(from: $0) }
        return (0..<count).map { i in i % 3 == 0 ? edges[(i / 3) % edges.count] : UInt16.random(in: 0...UInt16.max, using: &rng) }
    }

    static func check(_ kernel: Kernel, formula: @escaping (Float, Float, Float) -> Float, seed: UInt64) {
        for n in Array(0...40) + [1000] {
            let x = words(seed: seed, count: n), a = words(seed: seed + 1, count: n), b = words(seed: seed + 2, count: n)
            var out = [UInt16](repeating: 0xDEAD, count: n)
            kernel(x, a, b, &out, n)
            let expected = (0..<n).map { i in
                BFloat16.bits(from: formula(BFloat16.float(fromBits: x[i]), BFloat16.float(fromBits: a[i]), BFloat16.float(fromBits: b[i])))
            }
            #expect(out == expected, "n = \(n), first difference at \((0..<n).first { out[$0] != expected[$0] } ?? -1)")
        }
    }

    @Test func modulate() {
        let r = BFloat16.round
        let formula = { (x: Float, s: Float, h: Float) in r(r(x * r(1 + s)) + h) }
        Self.check(reelflow_bf16_modulate, formula: formula, seed: 1)
        Self.check(reelflow_bf16_modulate_portable, formula: formula, seed: 4)
    }

    @Test func addGated() {
        let r = BFloat16.round
        let formula = { (x: Float, y: Float, g: Float) in r(x + r(y * g)) }
        Self.check(reelflow_bf16_add_gated, formula: formula, seed: 7)
        Self.check(reelflow_bf16_add_gated_portable, formula: formula, seed: 10)
    }

    /// The float32 builds: one multiply and one add per step, never fused, as Swift computes.
    @Test func float32KernelsMatchSwift() {
        typealias F32Kernel = (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void
        let cases: [(F32Kernel, (Float, Float, Float) -> Float)] = [
            (reelflow_f32_modulate, { x, s, h in x * (1 + s) + h }), (reelflow_f32_modulate_portable, { x, s, h in x * (1 + s) + h }),
            (reelflow_f32_add_gated, { x, y, g in x + y * g }), (reelflow_f32_add_gated_portable, { x, y, g in x + y * g }),
        ]
        for (index, (kernel, formula)) in cases.enumerated() {
            for n in Array(0...40) + [1000] {
                var rng = SeededRandom(seed: UInt64(n * 10 + index))
                func values() -> [Float] {
                    (0..<n).map { i in i % 5 == 0 ? BF16RoundingKernelTests.edges[(i / 5) % BF16RoundingKernelTests.edges.count] : Float.random(in: -3...3, using: &rng) }
                }
                let x = values(), a = values(), b = values()
                var out = [Float](repeating: 7, count: n)
                kernel(x, a, b, &out, n)
                let expected = (0..<n).map { formula(x[$0], a[$0], b[$0]) }
                #expect(zip(out, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "case \(index), n = \(n)")
            }
        }
    }

    /// Swift's operator for a `REELFLOW_` arithmetic op.
    static func arithmetic(_ op: Int32) -> (Float, Float) -> Float {
        switch op {
        case Int32(REELFLOW_ADD): { $0 + $1 }
        case Int32(REELFLOW_SUBTRACT): { $0 - $1 }
        case Int32(REELFLOW_MULTIPLY): { $0 * $1 }
        default: { $0 / $1 }
        }
    }

    /// Two bf16 operands, one float32 operation, one rounding: add, subtract, multiply, divide.
    @Test(arguments: [REELFLOW_ADD, REELFLOW_SUBTRACT, REELFLOW_MULTIPLY, REELFLOW_DIVIDE].map(Int32.init))
    func binaryMatchesOneRounding(op: Int32) {
        let name = ["add", "subtract", "multiply", "divide"][Int(op)]
        let apply = Self.arithmetic(op)
        for n in Array(0...40) + [1000] {
            let a = Self.words(seed: UInt64(n) + 20, count: n), b = Self.words(seed: UInt64(n) + 40, count: n)
            let expected = (0..<n).map { BFloat16.bits(from: apply(BFloat16.float(fromBits: a[$0]), BFloat16.float(fromBits: b[$0]))) }
            for kernel in [reelflow_bf16_binary, reelflow_bf16_binary_portable] {
                var out = [UInt16](repeating: 0xDEAD, count: n)
                kernel(op, a, b, &out, n)
                #expect(out == expected, "\(name), n = \(n)")
            }
        }
    }

    /// float32 rows and repeated values (strides 1 and 0), one IEEE operation per element: the
    /// bits Swift's operators give, edges (infinities, NaN, -0, subnormals) and tails included.
    @Test(arguments: [REELFLOW_ADD, REELFLOW_SUBTRACT, REELFLOW_MULTIPLY, REELFLOW_DIVIDE].map(Int32.init))
    func float32BinaryMatchesSwift(op: Int32) {
        let apply = Self.arithmetic(op)
        for n in Array(1...40) + [1000] {
            var rng = SeededRandom(seed: UInt64(n) + 60)
            func values() -> [Float] {
                (0..<n).map { i in i % 5 == 0 ? BF16RoundingKernelTests.edges[(i / 5) % BF16RoundingKernelTests.edges.count] : Float.random(in: -3...3, using: &rng) }
            }
            let a = values(), b = values()
            for (sa, sb) in [(1, 1), (1, 0), (0, 1)] {
                let expected = (0..<n).map { apply(a[$0 * sa], b[$0 * sb]) }
                for kernel in [reelflow_f32_binary, reelflow_f32_binary_portable] {
                    var out = [Float](repeating: 7, count: n)
                    kernel(op, a, sa, b, sb, &out, n)
                    #expect(
                        zip(out, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) },
                        "op \(op), strides \(sa), \(sb), n = \(n)")
                }
            }
        }
    }
}
