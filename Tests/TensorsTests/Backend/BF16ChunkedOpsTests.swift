import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// bf16 activations and same-shape binary ops run in one chunked pass
/// (`Tensor.bf16Chunked`): bit for bit what widening the whole tensor, computing in float32 and
/// rounding once gives, across chunk and thread boundaries (sizes around the 4096-element
/// chunk and the 32768-element grain) and on infinities and NaN; PixelNorm likewise.
@Suite struct BF16ChunkedOpsTests {
    static func widenedRounded(_ t: Tensor) -> [UInt16] {
        t.cpuConverted(to: .bf16).withUnsafeHostBytes { Array($0.bindMemory(to: UInt16.self)) }
    }
    static func words(_ t: Tensor) -> [UInt16] { t.withUnsafeHostBytes { Array($0.bindMemory(to: UInt16.self)) } }

    @Test(arguments: [1, 4095, 4097, 70_001])
    func matchesTheFloat32PathBitForBit(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        var av = rng.tensor([count], scale: 4).hostScalars(), bv = rng.tensor([count], scale: 4).hostScalars()
        if count > 3 { (av[0], av[1], av[2], bv[3]) = (.infinity, -.infinity, .nan, 0) }
        let a = Tensor(shape: [count], scalars: av).to(dtype: .bf16), b = Tensor(shape: [count], scalars: bv).to(dtype: .bf16)
        let (fa, fb) = (a.to(dtype: .f32), b.to(dtype: .f32))
        for op in [UnaryOp.exp, .sigmoid, .silu, .geluTanh] {
            let y = CPUBackend.shared.unary(op, a)
            #expect(y.dtype == .bf16)
            #expect(Self.words(y) == Self.widenedRounded(fa.cpuUnary(op)), "\(op) of \(count)")
        }
        let pairs: [(BinaryOp, Tensor)] = [
            (.add, Tensor.broadcast(fa, fb, Add.self)), (.subtract, Tensor.broadcast(fa, fb, Subtract.self)),
            (.multiply, Tensor.broadcast(fa, fb, Multiply.self)), (.divide, Tensor.broadcast(fa, fb, Divide.self)),
            (.maximum, Tensor.broadcast(fa, fb, Maximum.self)),
        ]
        for (op, expected) in pairs {
            let y = CPUBackend.shared.binary(op, a, b)
            #expect(y.dtype == .bf16)
            #expect(Self.words(y) == Self.widenedRounded(expected), "\(op) of \(count)")
        }
    }

    /// PixelNorm read from and written to bf16 words: bit for bit the widened path, with
    /// position blocks of 1024 and a remainder.
    @Test func pixelNormMatchesTheWidenedPathBitForBit() {
        var rng = SeededRandom(seed: 80)
        let x = rng.tensor([2, 12, 3, 19, 23], scale: 3).to(dtype: .bf16)
        let y = CPUBackend.shared.pixelNorm(x, eps: 1e-6)
        #expect(y.dtype == .bf16)
        let expected = x.to(dtype: .f32).cpuPixelNorm(eps: 1e-6, rounding: BF16Steps.self)
        #expect(Self.words(y) == Self.widenedRounded(expected))
    }
}
