import ReelflowTestSupport
import Tensors

/// The shared op suite: every primitive of the backend seam on random operands, in float32
/// or bf16, with extents of 0 and 1 among them. `CrossBackendTests` runs it on the CPU and
/// reference backends; `cuda-op-suite` (tools/gpu/) runs it on a GPU against the CPU backend.
/// A backend that passes it computes what the others compute, within `tolerance`.
public enum OpSuite {
    /// One op: a label and the call, with its operands already placed.
    public struct Case {
        public let label: String
        public let run: () -> Tensor
    }

    /// The cases, operands drawn from a fixed seed and moved by `place` (to a device, or
    /// left where they are), so every backend sees the same values.
    public static func cases(dtype: DType, place: (Tensor) -> Tensor = { $0 }) -> [Case] {
        var rng = SeededRandom(seed: 9)
        func r(_ shape: [Int], _ scale: Float = 1) -> Tensor { place(rng.tensor(shape, scale: scale).to(dtype: dtype)) }
        var out: [Case] = []
        func add(_ label: String, _ run: @escaping () -> Tensor) { out.append(Case(label: label, run: run)) }
        for (b, t, d) in [(2, 7, 12), (1, 1, 4), (1, 0, 6), (3, 5, 1)] {
            let x = r([b, t, d]), w = r([5, d]), bias = r([5]), row = r([d]), y = r([b, t, d]), more = r([b, 2, d])
            let (s1, s2, s3) = (r([b, 1, d]), r([b, 1, d]), r([b, 1, d]))
            let positive = place(rng.tensor([b, 1, d]).to(dtype: dtype).map { abs($0) + 0.5 })
            let (g, beta, m) = (r([d]), r([d]), r([d, 3]))
            // AdaLN vectors per run of tokens: two runs (one where there is one token).
            let tokens = b * t
            let runs = RowRuns(lengths: tokens < 2 ? Array(repeating: 1, count: tokens) : [tokens / 2, tokens - tokens / 2])
            let table = r([runs.count, 3, d])
            let shape = "\([b, t, d])"
            add("linear \(shape)") { x.linear(weight: w, bias: bias) }
            add("linear+gelu \(shape)") { x.linear(weight: w, bias: bias, activation: .geluTanh) }
            add("linear+gelu, no bias \(shape)") { x.linear(weight: w, activation: .geluTanh) }
            add("silu \(shape)") { x.silu() }
            add("gelu \(shape)") { x.geluTanh() }
            add("sigmoid \(shape)") { x.sigmoid() }
            add("exp \(shape)") { x.exp() }
            add("cos \(shape)") { (x * 3).cos() }
            add("sin \(shape)") { (x * 3).sin() }
            add("add \(shape)") { x + row }
            add("div \(shape)") { x / positive }
            add("scalar \(shape)") { x * 0.37 - 1.5 }
            add("maximum \(shape)") { Tensor.maximum(x, row) }
            add("clamp \(shape)") { x.clamped(min: 0.25) }
            add("modulate \(shape)") { x.modulated(scale: s1, shift: s2) }
            add("gated \(shape)") { x.addingGated(y, gate: s3) }
            add("rmsnorm+modulate in runs \(shape)") { x.normalizedModulated(.rms, eps: 1e-6, rows: table, runs: runs, scale: 1, shift: 0) }
            add("layernorm+modulate in runs \(shape)") { x.normalizedModulated(.layer, eps: 1e-6, rows: table, runs: runs, scale: 2, shift: 1) }
            add("gated in runs \(shape)") { x.addingGated(y, rows: table, runs: runs, gate: 2) }
            add("softmax \(shape)") { x.softmax() }
            add("sum \(shape)") { x.sum(alongAxis: 1) }
            add("rmsnorm \(shape)") { x.rmsNorm(weight: g, eps: 1e-6) }
            add("layernorm \(shape)") { x.layerNorm(weight: g, bias: beta, eps: 1e-6) }
            add("permute \(shape)") { x.permuted([2, 0, 1]) }
            add("slice \(shape)") { x.sliced(axis: 2, 0..<(d / 2)) }
            add("concat \(shape)") { Tensor.concatenated([x, more], axis: 1) }
            add("addRegion \(shape)") {
                var base = Tensor.concatenated([x, more], axis: 1)
                base.addRegion(y.sliced(axis: 2, 0..<(d / 2)), at: [0, 2, d - d / 2])
                return base
            }
            add("matmul \(shape)") { Tensor.matmul(x, m) }
        }
        let v = r([1, 4, 3, 6, 8])
        let (gw, gb, cw, cb) = (r([4]), r([4]), r([3, 4, 3, 3, 3], 0.2), r([3]))
        add("groupnorm") { v.groupNorm(groups: 2, weight: gw, bias: gb, eps: 1e-6) }
        add("pixelnorm") { v.pixelNorm(eps: 1e-8) }
        let wide = r([2, 20, 5, 8, 8])
        add("pixelnorm, 20 channels x 320 positions") { wide.pixelNorm(eps: 1e-8) }
        add("fill") { Tensor(repeating: 0.37, shape: [3, 5, 7], dtype: wide.dtype, device: wide.device) }
        add("zeros") { Tensor(zeros: [2, 9], dtype: wide.dtype, device: wide.device) }
        add("conv3d") { v.causalConv3d(weight: cw, bias: cb, stride: [1, 2, 1]) }
        for order in SpaceToDepthOrder.allCases {
            add("s2d \(order)") { v.spaceToDepth([1, 2, 2], order: order) }
            add("d2s \(order)") { v.depthToSpace([2, 1, 2], order: order) }
        }
        for mode in InterpolationMode.allCases {
            add("interp \(mode)") { v.reshaped([4, 3, 6, 8]).interpolated(size: [9, 5], mode: mode) }
        }
        let (q, k, vv) = (r([1, 9, 16]), r([1, 11, 16]), r([1, 11, 16]))
        add("attention") { Tensor.attention(query: q, key: k, value: vv, heads: 2) }
        let maskBias = place(
            Tensor(shape: [1, 1, 9, 11], scalars: (0..<99).map { $0 % 7 == 0 ? -.infinity : Float($0 % 5) * -0.3 })
                .to(dtype: dtype))
        add("attention masked") { Tensor.attention(query: q, key: k, value: vv, heads: 2, mask: .additive(maskBias)) }
        let angles = rng.uniform([1, 9, 6], in: -3...3)
        for layout in RoPELayout.allCases {
            let (c, s) = RoPE.tables(angles: angles, width: 16, heads: 2, layout: layout)
            let (cd, sd) = (place(c.to(dtype: dtype)), place(s.to(dtype: dtype)))
            add("rope \(layout)") { q.applyingRoPE(cos: cd, sin: sd, layout: layout) }
            add("rmsnorm+rope \(layout)") { q.rmsNormRoPE(weight: nil, eps: 1e-6, cos: cd, sin: sd, layout: layout) }
        }
        return out
    }

    /// How far two backends' results may differ: float32 within `1e-5 + 1e-4·|expected|`;
    /// bf16 within `bf16Ulps` units in the last place (values below 1e-6 in magnitude match),
    /// or within `bf16Scale · max|expected|`: long sums in another order can cancel to values
    /// far below the output's scale, where an ulp count means nothing (0 turns this off).
    public struct Tolerance: Sendable {
        public var absolute: Float = 1e-5, relative: Float = 1e-4, bf16Ulps = 1, bf16Scale: Float = 0
        public init(absolute: Float = 1e-5, relative: Float = 1e-4, bf16Ulps: Int = 1, bf16Scale: Float = 0) {
            (self.absolute, self.relative, self.bf16Ulps, self.bf16Scale) = (absolute, relative, bf16Ulps, bf16Scale)
        }
    }

    /// Why `actual` does not match `expected` within `tolerance`, or nil when it does.
    /// Compares on the host (a synchronisation point for GPU tensors).
    public static func mismatch(_ actual: Tensor, _ expected: Tensor, tolerance: Tolerance = Tolerance()) -> String? {
        guard actual.shape == expected.shape, actual.dtype == expected.dtype else {
            return "\(actual.dtype) \(actual.shape), expected \(expected.dtype) \(expected.shape)"
        }
        let a = actual.hostScalars(), e = expected.hostScalars()
        let scaleBound = tolerance.bf16Scale * (e.map(abs).max() ?? 0)
        var bad = 0, worst = -1
        var worstError: Float = 0
        for i in a.indices {
            let (x, y) = (a[i], e[i])
            if x == y || (x.isNaN && y.isNaN) { continue }
            let error: Float
            let ok: Bool
            if expected.dtype == .bf16 {
                let ulps = abs(BFloat16.bits(from: x).orderedInt - BFloat16.bits(from: y).orderedInt)
                error = Float(ulps)
                ok = ulps <= tolerance.bf16Ulps || (abs(x) < 1e-6 && abs(y) < 1e-6) || abs(x - y) <= scaleBound
            } else {
                error = abs(x - y)
                ok = error <= tolerance.absolute + tolerance.relative * abs(y)
            }
            if !ok {
                bad += 1
                if error > worstError || worst < 0 { (worst, worstError) = (i, error) }
            }
        }
        guard bad > 0 else { return nil }
        let unit = expected.dtype == .bf16 ? " bf16 ulps" : ""
        return "\(bad) of \(a.count) elements differ; worst at \(worst): \(a[worst]) vs \(e[worst]) (\(worstError)\(unit))"
    }
}

extension UInt16 {
    /// The bf16 bit pattern as an integer that orders like the values (for ulp distances).
    fileprivate var orderedInt: Int { self & 0x8000 != 0 ? -Int(self & 0x7fff) : Int(self) }
}
