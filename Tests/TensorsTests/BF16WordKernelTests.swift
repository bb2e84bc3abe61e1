import CKernels
import ReelflowTestSupport
import Testing
import Tensors

/// The C kernels from bf16 words to bf16 words of the VAE's bf16 path: the activations give the
/// words of widening, the float32 activation kernel and rounding in turn; PixelNorm gives the
/// words of ltx-core's bf16 chain as Swift writes it, on the dispatched (AVX-512) and plain C
/// builds, for every tail of 16 positions and edge values among random ones.
@Suite struct BF16WordKernelTests {
    @Test(arguments: [REELFLOW_EXP, REELFLOW_SIGMOID, REELFLOW_SILU, REELFLOW_GELU_TANH].map(Int32.init))
    func activationMatchesWidenActivateRound(kind: Int32) {
        for n in Array(0...40) + [4099] {
            let x = BF16RowKernelTests.words(seed: UInt64(n) + 3, count: n)
            var wide = x.map { BFloat16.float(fromBits: $0) }
            reelflow_activation_f32(kind, wide, &wide, n)
            var expected = [UInt16](repeating: 0, count: n)
            reelflow_f32_to_bf16(wide, &expected, n)
            var out = [UInt16](repeating: 0xDEAD, count: n)
            reelflow_activation_bf16(kind, x, &out, n)
            #expect(out == expected, "n = \(n)")
            var inPlace = x
            reelflow_activation_bf16(kind, inPlace, &inPlace, n)
            #expect(inPlace == expected, "n = \(n), in place")
        }
    }

    @Test func pixelNormMatchesTheBF16Chain() {
        let r = BFloat16.round
        for (channels, len) in [(1, 1), (3, 17), (8, 33), (32, 40), (5, 100)] {
            let spatial = len + 3  // positions of other blocks lie between the channels
            var rng = SeededRandom(seed: UInt64(channels * 100 + len))
            var s = (0..<(channels * spatial)).map { _ in BFloat16.bits(from: Float.random(in: -4...4, using: &rng)) }
            s[0] = BFloat16.bits(from: 0x1p-130)
            if s.count > 5 { s[5] = BFloat16.bits(from: 3e38) }
            var expected = [UInt16](repeating: 0xDEAD, count: s.count)
            for j in 0..<len {
                var sum: Float = 0
                for c in 0..<channels {
                    let v = BFloat16.float(fromBits: s[c * spatial + j])
                    sum += r(v * v)
                }
                let rms = r(r(r(sum / Float(channels)) + 1e-8).squareRoot())
                for c in 0..<channels { expected[c * spatial + j] = BFloat16.bits(from: BFloat16.float(fromBits: s[c * spatial + j]) / rms) }
            }
            for kernel in [reelflow_bf16_pixel_norm, reelflow_bf16_pixel_norm_portable] {
                var d = [UInt16](repeating: 0xDEAD, count: s.count)
                var rms = [Float](repeating: 0, count: len)
                kernel(s, &d, spatial, channels, len, 1e-8, &rms)
                let written = (0..<channels).flatMap { c in (0..<len).map { c * spatial + $0 } }
                #expect(written.map { d[$0] } == written.map { expected[$0] }, "\(channels) channels, \(len) positions")
                #expect((0..<s.count).filter { !written.contains($0) }.allSatisfy { d[$0] == 0xDEAD }, "nothing else written")
            }
        }
    }
}
