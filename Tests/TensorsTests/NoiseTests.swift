import Foundation
import Testing
import Tensors

/// Seeded noise against torch (Sources/Tensors/Random, docs/noise.md): the mt19937 stream and
/// the CPU generator's randn bit for bit (fixtures by tools/reference/make_noise_fixtures.py),
/// cuRAND's Philox words bit for bit and the CUDA generator's randn within the measured
/// Box-Muller bound (fixtures by make_noise_fixtures_cuda.py on an H200: 132 SMs × 2048).
@Suite struct NoiseTests {
    static let cpu = Result { try FixtureFile(named: "noise_cpu") }
    static let cuda = Result { try FixtureFile(named: "noise_cuda") }

    /// The measured bounds of the host Box-Muller against the GPU's (docs/noise.md): the GPU's
    /// `__sincosf` has an absolute error near 2^-21, so the float32 bound is absolute; in ulps
    /// it is large only for values near zero (bounded here for |x| >= 1).
    static let maxAbsolute: Float = 2e-6
    static let maxULPAtLeastOne = 16

    static func values(_ file: Result<FixtureFile, any Error>, _ name: String) throws -> [Float] {
        try file.get().tensor(name).hostScalars()
    }

    static func words(_ file: Result<FixtureFile, any Error>, _ name: String) throws -> [UInt32] {
        try values(file, name).map(\.bitPattern)
    }

    /// Distance in representable float32 values (0 for equal, also for +0 and -0).
    static func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int64 {
            let bits = Int64(x.bitPattern & 0x7FFF_FFFF)
            return x.sign == .minus ? -bits : bits
        }
        return Int(abs(ordered(a) - ordered(b)))
    }

    // MARK: CPU generator

    @Test func mt19937MatchesTorchsWords() throws {
        let expected = try Self.values(Self.cpu, "mt.5489.random64_bits").map(\.bitPattern)
        var mt = MT19937(seed: 5489)
        #expect(MT19937(seed: 5489).nextWordCopy() == 3_499_211_612)  // the reference first word
        for k in 0..<(expected.count / 2) {
            let value = UInt64(expected[2 * k]) | UInt64(expected[2 * k + 1]) << 32  // little-endian int64
            #expect(mt.nextWord64() & (UInt64(1) << 63 - 1) == value, "word pair \(k)")
        }
    }

    static let cpuPlans: [(case: String, seed: UInt64, draws: [([Int], DType)])] = [
        ("a", 42, [([1000], .f32), ([3, 5, 7], .f32), ([16], .f32), ([5], .f32), ([3], .f32), ([40], .f32)]),
        ("b", 0, [([7], .bf16), ([16], .bf16), ([1, 37, 8], .bf16), ([2, 3], .bf16), ([1000], .bf16), ([1000], .f32)]),
        ("c", (1 << 40) + 12345, [([1], .f32), ([15], .f32), ([17], .f32), ([1, 300, 128], .bf16)]),
    ]

    @Test(arguments: cpuPlans.indices)
    func cpuRandnIsBitExact(plan: Int) throws {
        let (name, seed, draws) = Self.cpuPlans[plan]
        var g = TorchGenerator.cpu(seed: seed)
        for (i, (shape, dtype)) in draws.enumerated() {
            let t = g.randn(shape: shape, dtype: dtype)
            #expect(t.shape == shape && t.dtype == dtype)
            let expected = try Self.values(Self.cpu, "\(name).d\(i)")
            let actual = t.hostScalars()
            let differing = zip(actual, expected).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(name).d\(i) \(shape) \(dtype): \(differing) of \(expected.count) differ")
        }
    }

    @Test func cpuMutationsFail() throws {
        // Without the cached second Box-Muller value, the second small draw shifts.
        let expected = try Self.values(Self.cpu, "a.d4")
        var g = TorchGenerator.cpu(seed: 42)
        for shape in [[1000], [3, 5, 7], [16]] { _ = g.randn(shape: shape) }
        _ = g.randn(shape: [5])
        var fresh = TorchGenerator.cpu(seed: 42)  // same words consumed, no cache: draw [5] as [4] + [1]
        for shape in [[1000], [3, 5, 7], [16]] { _ = fresh.randn(shape: shape) }
        _ = fresh.randn(shape: [6])
        #expect(g.randn(shape: [3]).hostScalars() == expected)
        #expect(fresh.randn(shape: [3]).hostScalars() != expected)
        // The scalar libm kernel is not the AVX2 kernel torch ran here.
        var scalar = TorchGenerator.cpu(seed: 42, floatKernel: .scalar)
        #expect(scalar.randn(shape: [1000]).hostScalars() != (try Self.values(Self.cpu, "a.d0")))
    }

    // MARK: CUDA generator

    static let philoxCases: [(name: String, seed: UInt64, offset: UInt64)] = [
        ("42_0", 42, 0), ("42_4", 42, 4), ("42_8", 42, 8), ("big_0", (1 << 40) + 12345, 0), ("0_12", 0, 12),
    ]

    @Test(arguments: philoxCases.indices)
    func philoxWordsMatchCuRAND(index: Int) throws {
        let (name, seed, offset) = Self.philoxCases[index]
        let expected = try Self.words(Self.cuda, "philox.\(name).words_bits")
        for t in 0..<(expected.count / 8) {
            var p = Philox4x32(seed: seed, subsequence: UInt64(t), offset: offset)
            let a = p.nextBlock(), b = p.nextBlock()
            let got = [a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3]
            #expect(got == Array(expected[(8 * t)..<(8 * t + 8)]), "subsequence \(t)")
            if got != Array(expected[(8 * t)..<(8 * t + 8)]) { return }
        }
    }

    @Test func philoxKnownAnswer() {
        // Random123's known-answer test for philox4x32-10: zero counter, zero key.
        let r = Philox4x32.block(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([r.0, r.1, r.2, r.3] == [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
    }

    /// The Box-Muller parts against the device's: uniforms exact, s and sin/cos measured.
    @Test func boxMullerUniformsAreExact() throws {
        let words = try Self.words(Self.cuda, "philox.42_0.words_bits")
        let parts = try Self.values(Self.cuda, "philox.42_0.parts")
        var worst = (s: 0, sin: 0, cos: 0, value: 0)
        let normals = try Self.values(Self.cuda, "philox.42_0.normal4")
        for t in 0..<(parts.count / 10) {
            for k in 0..<2 {
                let x = words[8 * t + 2 * k], y = words[8 * t + 2 * k + 1]
                let p = Array(parts[(10 * t + 5 * k)..<(10 * t + 5 * k + 5)])
                let (u, v) = TorchCUDAGenerator.boxMullerUniforms(x, y)
                #expect(u.bitPattern == p[0].bitPattern && v.bitPattern == p[1].bitPattern, "thread \(t) pair \(k)")
                let s = (-2 * Foundation.log(u)).squareRoot()
                worst.s = max(worst.s, Self.ulps(s, p[2]))
                worst.sin = max(worst.sin, Self.ulps(Float(Foundation.sin(Double(v))), p[3]))
                worst.cos = max(worst.cos, Self.ulps(Float(Foundation.cos(Double(v))), p[4]))
                let (a, b) = TorchCUDAGenerator.boxMuller(x, y)
                worst.value = max(worst.value, Self.ulps(a, normals[4 * t + 2 * k]), Self.ulps(b, normals[4 * t + 2 * k + 1]))
            }
        }
        print("Box-Muller vs device (ulps): sqrt(-2 log u) \(worst.s), sin \(worst.sin), cos \(worst.cos), value \(worst.value)")
        #expect(worst.s <= 1)
    }

    /// Below the cap, torch's element t is the first curand_normal4 value of subsequence t:
    /// a GPU-against-GPU check of the thread assignment and the offsets, independent of the
    /// host Box-Muller.
    @Test func torchBelowTheCapIsThreadsFirstNormal() throws {
        let normals0 = try Self.values(Self.cuda, "philox.42_0.normal4")
        let normals4 = try Self.values(Self.cuda, "philox.42_4.normal4")
        let normals8 = try Self.values(Self.cuda, "philox.42_8.normal4")
        let d0 = try Self.values(Self.cuda, "s42.d0"), d1 = try Self.values(Self.cuda, "s42.d1")
        let d2 = try Self.values(Self.cuda, "s42.d2.head")
        for t in 0..<512 { #expect(d0[t].bitPattern == normals0[4 * t].bitPattern, "d0[\(t)]") }
        for t in 0..<d1.count { #expect(d1[t].bitPattern == normals4[4 * t].bitPattern, "d1[\(t)]") }
        for t in 0..<512 { #expect(d2[t].bitPattern == normals8[4 * t].bitPattern, "d2[\(t)]") }
    }

    @Test func gridCapRule() {
        let g = TorchCUDAGenerator(seed: 0)
        #expect(g.gridCap == 270_336)
        #expect(g.launch(count: 1000) == (1024, 4))
        #expect(g.launch(count: 270_336) == (270_336, 4))
        #expect(g.launch(count: 270_337) == (270_336, 4))
        #expect(g.launch(count: 1_081_344) == (270_336, 4))
        #expect(g.launch(count: 1_081_345) == (270_336, 8))
        let h100PCIe = TorchCUDAGenerator(seed: 0, multiprocessors: 114)
        #expect(h100PCIe.gridCap == 233_472)
    }

    static let cudaPlan: [(name: String, shape: [Int], dtype: DType)] = [
        ("s42.d0", [1000], .f32), ("s42.d1", [3, 5, 7], .f32), ("s42.d2", [270_336], .f32),
        ("s42.d3", [600_000], .f32), ("s42.d4", [1000], .bf16), ("s42.d5", [1_200_000], .f32),
        ("s42.d6", [1, 300, 128], .bf16), ("s42.d7", [600_000], .bf16), ("s42.d8", [1000], .f32),
    ]

    /// Compares a draw with its fixture (whole, or head / tail / around the cap / sum).
    /// Returns (max ulps, max abs, differing values, compared values, max ulps where |x| >= 1).
    static func compare(_ actual: [Float], _ name: String, cap: Int = 270_336, checkSum: Bool = true) throws -> (Int, Float, Int, Int, Int) {
        var pairs: [(Float, Float)] = []
        let file = try cuda.get()
        if actual.count <= 4096 {
            pairs = Array(zip(actual, try values(cuda, name)))
        } else {
            let lo = max(0, min(cap - 256, actual.count - 512))
            pairs += zip(actual.prefix(512), try values(cuda, name + ".head"))
            pairs += zip(actual.suffix(512), try values(cuda, name + ".tail"))
            pairs += zip(actual[lo..<(lo + 512)], try values(cuda, name + ".cap"))
            let sumWords = try file.tensor(name + ".sum").hostScalars().map(\.bitPattern)
            let sum = Double(bitPattern: UInt64(sumWords[0]) | UInt64(sumWords[1]) << 32)
            let mine = actual.reduce(0.0) { $0 + Double($1) }
            if checkSum { #expect(abs(mine - sum) < 5e-7 * Double(actual.count), "\(name) sum \(mine) vs torch \(sum)") }
        }
        var ulp = 0, absolute: Float = 0, differing = 0, ulpAtLeastOne = 0
        for (a, e) in pairs {
            ulp = max(ulp, ulps(a, e))
            if abs(e) >= 1 { ulpAtLeastOne = max(ulpAtLeastOne, ulps(a, e)) }
            absolute = max(absolute, abs(a - e))
            if a.bitPattern != e.bitPattern { differing += 1 }
        }
        return (ulp, absolute, differing, pairs.count, ulpAtLeastOne)
    }

    @Test func cudaRandnMatchesTorchWithinTheBound() throws {
        var g = TorchCUDAGenerator(seed: 42)
        let offsets = try Self.words(Self.cuda, "s42.offsets_bits")
        var report: [String] = []
        for (i, (name, shape, dtype)) in Self.cudaPlan.enumerated() {
            let actual = g.normalScalars(count: shape.reduce(1, *), dtype: dtype)
            #expect(g.offset == UInt64(offsets[i]), "offset after \(name)")
            let (ulp, absolute, differing, compared, ulpAtLeastOne) = try Self.compare(actual, name)
            if dtype == .f32 {
                report.append("\(name) f32: \(differing)/\(compared) differ, max \(ulp) ulp (\(ulpAtLeastOne) where |x| >= 1), max abs \(absolute)")
                #expect(absolute <= Self.maxAbsolute && ulpAtLeastOne <= Self.maxULPAtLeastOne, "\(report.last!)")
            } else {
                report.append("\(name) bf16: \(differing)/\(compared) differ, max \(ulp >> 16) bf16 ulp")
                #expect(differing * 100 <= compared && ulp <= 1 << 16, "\(report.last!)")  // ≤ 1 %, by 1 bf16 ulp
            }
        }
        var big = TorchCUDAGenerator(seed: (1 << 40) + 12345)
        let (_, absolute, _, _, ulpAtLeastOne) = try Self.compare(big.normalScalars(count: 777, dtype: .f32), "sbig.d0")
        #expect(absolute <= Self.maxAbsolute && ulpAtLeastOne <= Self.maxULPAtLeastOne)
        print(report.joined(separator: "\n"))
    }

    /// Replaying earlier draws (a Sampler's NoiseStream) moves the CUDA generator's offset
    /// without drawing; the state is the one drawing would leave, on both generators.
    @Test func advancingPastADrawEqualsDrawing() {
        for start in [TorchGenerator.cuda(seed: 42), .cpu(seed: 42)] {
            var drawn = start, skipped = start
            for (count, dtype) in [(1000, DType.f32), (600_000, .bf16), (7, .f32)] {
                _ = drawn.randn(shape: [count], dtype: dtype)
                skipped.advance(pastDrawOf: count, dtype: dtype)
                #expect(drawn == skipped)
            }
            #expect(drawn.randn(shape: [64]) == skipped.randn(shape: [64]))
        }
        // On the CPU the device-aware draw is the host draw.
        var a = TorchGenerator.cuda(seed: 7), b = a
        #expect(a.randn(shape: [3, 5], dtype: .bf16, device: .cpu) == b.randn(shape: [3, 5], dtype: .bf16))
    }

    @Test func randnTensorHasShapeAndDtype() {
        var g = TorchGenerator.cuda(seed: 42)
        let t = g.randn(shape: [1, 7, 128], dtype: .bf16)
        #expect(t.shape == [1, 7, 128] && t.dtype == .bf16)
        if case .cuda(let state) = g { #expect(state.offset == 4) } else { Issue.record("not a CUDA generator") }
    }

    @Test func cudaMutationsFail() throws {
        // A wrong offset increment: the second draw taken at offset 8 instead of 4.
        var skipped = TorchCUDAGenerator(seed: 42, offset: 8)
        let (_, skippedError, _, _, _) = try Self.compare(skipped.normalScalars(count: 105, dtype: .f32), "s42.d1")
        #expect(skippedError > 0.5)
        // A wrong subsequence assignment above the cap: an H100 PCIe (114 SMs) grid. Below the
        // cap the same seed still matches on it.
        var g = TorchCUDAGenerator(seed: 42, multiprocessors: 114, offset: 12)
        let (_, wrong, _, _, _) = try Self.compare(g.normalScalars(count: 600_000, dtype: .f32), "s42.d3", checkSum: false)
        #expect(wrong > 0.5)
        var below = TorchCUDAGenerator(seed: 42, multiprocessors: 114)
        let (_, same, _, _, _) = try Self.compare(below.normalScalars(count: 1000, dtype: .f32), "s42.d0")
        #expect(same <= Self.maxAbsolute)
    }
}

extension MT19937 {
    fileprivate func nextWordCopy() -> UInt32 {
        var copy = self
        return copy.nextWord()
    }
}
