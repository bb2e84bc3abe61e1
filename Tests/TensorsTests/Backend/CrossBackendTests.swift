import ReelflowTestSupport
import Testing
import Tensors
import TensorsTestSupport

/// Every primitive of the seam on the CPU backend against the reference backend, on random
/// operands in float32 and bf16, including extents of 0 and 1. float32 agrees within the
/// float32 fixture tolerances; bf16 within 1 bf16 ulp (the two compute each intermediate in
/// different precisions, so a value near a rounding boundary may land on either side).
@Suite struct CrossBackendTests {
    let cpu = TestBackend.cpu, reference = TestBackend.reference

    /// Runs `op` on both backends and compares.
    func same(_ dtype: DType, _ label: String, _ op: () -> Tensor) {
        let a = cpu.run(op), b = reference.run(op)
        #expect(a.dtype == b.dtype && a.shape == b.shape, "\(label): \(a.dtype) \(a.shape) vs \(b.dtype) \(b.shape)")
        guard a.shape == b.shape else { return }
        if dtype == .bf16 {
            expectBF16(a, b, ulps: 1, "\(label) (bf16)")
        } else {
            expectClose(a, b, absolute: 1e-5, relative: 1e-4, "\(label) (f32)")
        }
    }

    /// `addRegion` writes in place only when the storage is unshared: a copy taken before
    /// keeps its values, on every backend.
    @Test(arguments: [TestBackend.cpu, .reference])
    func addRegionIsCopyOnWrite(backend: TestBackend) {
        _ = backend.run {
            let original = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
            var changed = original
            changed.addRegion(Tensor(shape: [1, 2], scalars: [10, 20]), at: [1, 1])
            #expect(original.hostScalars() == [1, 2, 3, 4, 5, 6])
            #expect(changed.hostScalars() == [1, 2, 3, 4, 15, 26])
            return changed
        }
    }

    /// The shared op suite (`OpSuite`), each case run on both backends.
    @Test(arguments: [DType.f32, .bf16])
    func everyPrimitiveAgrees(dtype: DType) {
        for c in OpSuite.cases(dtype: dtype) { same(dtype, c.label, c.run) }
    }

    @Test(arguments: [DType.bf16, .f16, .f8e4m3, .f8e5m2])
    func conversionsAgree(dtype: DType) {
        var rng = SeededRandom(seed: 3)
        let x = Tensor(
            shape: [70],
            scalars: rng.tensor([60], scale: 40).hostScalars() + [0, -0, 448, 464, 500, 1e-9, -1e-3, .infinity, -.infinity, 3.0e38])
        let a = cpu.run { x.to(dtype: dtype) }, b = reference.run { x.to(dtype: dtype) }
        #expect(a.dtype == dtype && b.dtype == dtype)
        let av = a.hostScalars(), bv = b.hostScalars()
        for i in av.indices {
            #expect(av[i] == bv[i] || (av[i].isNaN && bv[i].isNaN), "\(dtype) of \(x.hostScalars()[i]): \(av[i]) vs \(bv[i])")
        }
    }
}

@Suite struct NormWithoutWeightTests {
    /// RMSNorm without a weight (the transformer's pre-norms) once read an empty array's
    /// dangling base address as the weight on the CPU backend.
    @Test(arguments: TestBackend.allCases)
    func rmsNormWithoutWeightIsPlainRMS(on backend: TestBackend) {
        var rng = SeededRandom(seed: 4)
        let x = rng.tensor([3, 5, 16])
        let y = backend.run { x.rmsNorm(eps: 1e-6) }
        let v = x.hostScalars(), out = y.hostScalars()
        for r in 0..<15 {
            let row = v[(r * 16)..<(r * 16 + 16)]
            let inv = 1 / (row.map { $0 * $0 }.reduce(0, +) / 16 + 1e-6).squareRoot()
            for j in 0..<16 { #expect(abs(out[r * 16 + j] - row[row.startIndex + j] * inv) <= 1e-5) }
        }
    }
}

@Suite struct GroupedAttentionTests {
    /// Block-form weights give the same attention as their dense bias, on every backend, in
    /// float32 and bf16, with a batch of two and groups added before and after the first mask.
    @Test(arguments: TestBackend.allCases, [DType.f32, .bf16])
    func groupedEqualsDense(on backend: TestBackend, dtype: DType) {
        var rng = SeededRandom(seed: 21)
        let (t, heads, width) = (30, 2, 16)
        // Grid 0..<12, group 1 (added before any mask) 12..<18, group 2 18..<25, group 3 25..<30.
        let groups = (0..<t).map { $0 < 12 ? 0 : ($0 < 18 ? 1 : ($0 < 25 ? 2 : 3)) }
        let cross = (0..<(2 * t)).map { i -> Float in
            let token = i % t
            return token < 18 ? 1 : (token % 5 == 0 ? 0 : Float.random(in: 0.05...1, using: &rng))
        }
        let weights = TokenGroupWeights(
            groups: groups, cross: Tensor(shape: [2 * t], scalars: cross).to(dtype: dtype).hostScalars(), batch: 2,
            firstIsolatedGroup: 2, dtype: dtype)
        let q = rng.tensor([2, t, width]).to(dtype: dtype), k = rng.tensor([2, t, width]).to(dtype: dtype)
        let v = rng.tensor([2, t, width]).to(dtype: dtype)
        let grouped = backend.run { Tensor.attention(query: q, key: k, value: v, heads: heads, mask: .groups(weights)) }
        let dense = backend.run {
            Tensor.attention(query: q, key: k, value: v, heads: heads, mask: .additive(weights.denseBias().to(dtype: dtype)))
        }
        #expect(grouped == dense)
        // The structure ltx-core builds: 0 between group 2 and groups 1 and 3, 1 between 1 and the grid.
        let w = weights.denseWeights().hostScalars()
        #expect(w[12 * t + 3] == 1 && w[20 * t + 13] == 0 && w[26 * t + 19] == 0 && w[13 * t + 14] == 1)
    }
}
