import Foundation
import Tensors

/// The second backend that proves the seam: every primitive written as the plainest loops
/// over host values, accumulating in Double, sharing no kernel, index map or BLAS call with
/// `CPUBackend`. It is slow on purpose and exists for the shared op suite
/// (`Tests/TensorsTests/Backend/`), which runs every primitive on both backends against
/// the committed PyTorch fixtures and against each other.
///
/// dtype rules are the contract's (`Backend`): compute wide, round the result once to
/// `DType.result(of:)`, except where torch's bf16 pipeline runs separate ops that each
/// round (modulate, gated residual, RoPE, PixelNorm, and SDPA's probabilities before `P·V`),
/// which it mirrors step by step.
public final class ReferenceBackend: Backend {
    public let name = "reference"
    public var device: Device { .cpu }

    public init() {}

    // MARK: Helpers

    /// Values rounded to `dtype` as a tensor of that dtype (rounding done here, then an exact
    /// conversion of representable values).
    func make(_ shape: [Int], _ values: [Double], _ dtype: DType) -> Tensor {
        let rounded = values.map { round(Float($0), dtype) }
        // Every value is representable in `dtype` now, so the CPU conversion is exact; it is
        // called directly so that this backend never dispatches to itself.
        return CPUBackend.shared.convert(Tensor(shape: shape, scalars: rounded), to: dtype)
    }

    func round(_ x: Float, _ dtype: DType) -> Float {
        switch dtype {
        case .bf16: BFloat16.round(x)
        case .f16: HalfFloat.round(x)
        default: x
        }
    }

    /// A step of torch's bf16 chain: rounds only when the chain runs in bf16.
    func step(_ x: Double, _ dtype: DType) -> Double { dtype == .bf16 ? Double(BFloat16.round(Float(x))) : x }

    /// float32 host values of any operand (widening is exact).
    func floats(_ t: Tensor) -> [Float] { CPUBackend.shared.convert(t, to: .f32).hostScalars() }
    func values(_ t: Tensor) -> [Double] { floats(t).map(Double.init) }

    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for a in shape.indices.reversed() {
            s[a] = acc
            acc *= shape[a]
        }
        return s
    }

    /// The multi-index of flat position `flat` in `shape`.
    static func index(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rem = flat
        var idx = [Int](repeating: 0, count: shape.count)
        for a in shape.indices.reversed() {
            idx[a] = rem % shape[a]
            rem /= shape[a]
        }
        return idx
    }

    /// The flat position in an operand of shape `shape` broadcast to an output index.
    static func broadcastFlat(_ outIndex: [Int], _ shape: [Int]) -> Int {
        let offset = outIndex.count - shape.count
        var flat = 0
        for a in shape.indices {
            flat = flat * shape[a] + (shape[a] == 1 ? 0 : outIndex[a + offset])
        }
        return flat
    }

    // MARK: Memory

    public func transfer(_ tensor: Tensor, to device: Device) -> Tensor {
        precondition(device == .cpu, "the reference backend lives on the CPU")
        return tensor
    }

    public func convert(_ tensor: Tensor, to dtype: DType) -> Tensor {
        let v = floats(tensor)
        let rounded: [Float] = switch dtype {
        case .f32: v
        case .bf16, .f16: v.map { round($0, dtype) }
        case .f8e4m3: v.map { Float8.floatFromE4M3(Float8.e4m3Bits(from: $0)) }
        case .f8e5m2: v.map { Float8.floatFromE5M2(Float8.e5m2Bits(from: $0)) }
        default: preconditionFailure("a tensor cannot hold \(dtype.rawValue)")
        }
        return CPUBackend.shared.convert(Tensor(shape: tensor.shape, scalars: rounded), to: dtype)
    }

    // MARK: Products

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let dtype = DType.result(of: [x, weight] + [bias].compactMap { $0 })
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        let rows = x.shape.dropLast().reduce(1, *)
        let xv = values(x), wv = values(weight), bv = bias.map(values)
        var out = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = bv?[o] ?? 0
                for i in 0..<inF { s += xv[r * inF + i] * wv[o * inF + i] }
                out[r * outF + o] = s
            }
        }
        return make(Array(x.shape.dropLast()) + [outF], out, dtype)
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let dtype = DType.result(of: [a, b])
        let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = Tensor.broadcastShape(batchA, batchB)!
        let av = values(a), bv = values(b)
        let items = batch.reduce(1, *)
        var out = [Double](repeating: 0, count: items * m * n)
        for item in 0..<items {
            let idx = Self.index(item, batch)
            let ia = Self.broadcastFlat(idx, batchA) * m * k, ib = Self.broadcastFlat(idx, batchB) * k * n
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        let x = transposeA ? av[ia + p * m + i] : av[ia + i * k + p]
                        let y = transposeB ? bv[ib + j * k + p] : bv[ib + p * n + j]
                        s += x * y
                    }
                    out[(item * m + i) * n + j] = s
                }
            }
        }
        return make(batch + [m, n], out, dtype)
    }

    public func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?, scale: Float
    ) -> Tensor {
        let dtype = DType.result(of: [query, key, value])
        // Bring every operand to [B, H, T, d].
        func heads(_ t: Tensor, _ h: Int) -> Tensor {
            permute(t.reshaped([t.shape[0], t.shape[1], h, t.shape[2] / h]), axes: [0, 2, 1, 3])
        }
        let (q, k, v): (Tensor, Tensor, Tensor)
        switch layout {
        case .headsFirst: (q, k, v) = (query, key, value)
        case .tokensFirst(let h): (q, k, v) = (heads(query, h), heads(key, h), heads(value, h))
        }
        let (nb, nh, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let tk = k.shape[2], dv = v.shape[3]
        let qv = values(q), kv = values(k), vv = values(v)
        // Grouped weights are expanded to their dense bias here: the plainest reading.
        var mask = mask
        if case .groups(let g)? = mask { mask = .additive(g.denseBias()) }
        let maskShape = mask?.tensor.map { [Int](repeating: 1, count: 4 - $0.rank) + $0.shape }
        let mv = mask?.tensor.map(values)
        var additive = false
        if case .additive = mask { additive = true }
        var out = [Double](repeating: 0, count: nb * nh * tq * dv)
        for b in 0..<nb {
            for h in 0..<nh {
                let head = b * nh + h
                for i in 0..<tq {
                    var scores = [Double](repeating: 0, count: tk)
                    var weights = [Double](repeating: 1, count: tk)
                    for j in 0..<tk {
                        var s = 0.0
                        for p in 0..<d { s += qv[(head * tq + i) * d + p] * kv[(head * tk + j) * d + p] }
                        s *= Double(scale)
                        if let mv, let ms = maskShape {
                            let m = mv[Self.broadcastFlat([b, h, i, j], ms)]
                            if additive { s += m } else { weights[j] = m }
                        }
                        scores[j] = s
                    }
                    let admissible = (0..<tk).filter { weights[$0] > 0 && scores[$0] > -.infinity }
                    guard let top = admissible.map({ scores[$0] }).max() else { continue }  // zero row
                    let e = (0..<tk).map { weights[$0] > 0 ? Foundation.exp(scores[$0] - top) * weights[$0] : 0 }
                    let total = e.reduce(0, +)
                    for c in 0..<dv {
                        var s = 0.0
                        for j in 0..<tk { s += step(e[j], dtype) * vv[(head * tk + j) * dv + c] }
                        out[(head * tq + i) * dv + c] = s / total
                    }
                }
            }
        }
        let result = make([nb, nh, tq, dv], out, dtype)
        switch layout {
        case .headsFirst: return result
        case .tokensFirst(let h): return permute(result, axes: [0, 2, 1, 3]).reshaped([nb, tq, h * dv])
        }
    }

    // MARK: Element-wise

    public func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor {
        let f: (Double) -> Double = switch op {
        case .exp: { Foundation.exp($0) }
        case .sigmoid: { 1 / (1 + Foundation.exp(-$0)) }
        case .silu: { $0 / (1 + Foundation.exp(-$0)) }
        case .geluTanh: { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
        case .cos: { Foundation.cos($0) }
        case .sin: { Foundation.sin($0) }
        }
        return make(x.shape, values(x).map(f), DType.result(of: [x]))
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Tensor.broadcastShape(a.shape, b.shape)!
        let av = values(a), bv = values(b)
        let out = (0..<shape.reduce(1, *)).map { flat -> Double in
            let idx = Self.index(flat, shape)
            let x = Double(Float(av[Self.broadcastFlat(idx, a.shape)]))
            let y = Double(Float(bv[Self.broadcastFlat(idx, b.shape)]))
            // float32 arithmetic, as torch's float and bf16 (opmath float) kernels do.
            switch op {
            case .add: return Double(Float(x) + Float(y))
            case .subtract: return Double(Float(x) - Float(y))
            case .multiply: return Double(Float(x) * Float(y))
            case .divide: return Double(Float(x) / Float(y))
            case .maximum: return x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
            }
        }
        return make(shape, out, DType.result(of: [a, b]))
    }

    public func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        let dtype = DType.result(of: [x, scale, shift])
        let xv = values(x), sv = values(scale), hv = values(shift)
        let out = (0..<x.count).map { flat -> Double in
            let idx = Self.index(flat, x.shape)
            let s = sv[Self.broadcastFlat(idx, scale.shape)], h = hv[Self.broadcastFlat(idx, shift.shape)]
            return step(step(xv[flat] * step(1 + s, dtype), dtype) + h, dtype)
        }
        return make(x.shape, out, dtype)
    }

    public func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor {
        let dtype = DType.result(of: [x, y, gate])
        let xv = values(x), yv = values(y), gv = values(gate)
        let out = (0..<x.count).map { flat -> Double in
            let idx = Self.index(flat, x.shape)
            return step(xv[flat] + step(yv[Self.broadcastFlat(idx, y.shape)] * gv[Self.broadcastFlat(idx, gate.shape)], dtype), dtype)
        }
        return make(x.shape, out, dtype)
    }

    // MARK: Reductions and norms

    public func sum(_ x: Tensor, axis: Int) -> Tensor {
        var shape = x.shape
        shape.remove(at: axis)
        let xv = values(x)
        var out = [Double](repeating: 0, count: shape.reduce(1, *))
        for flat in 0..<x.count {
            var idx = Self.index(flat, x.shape)
            idx.remove(at: axis)
            var o = 0
            for a in shape.indices { o = o * shape[a] + idx[a] }
            out[o] += xv[flat]
        }
        return make(shape, out, DType.result(of: [x]))
    }

    /// Rows of the last axis, transformed by `f`.
    func rows(_ x: Tensor, _ f: ([Double]) -> [Double]) -> [Double] {
        let n = x.shape.last ?? 1
        let xv = values(x)
        guard n > 0 else { return [] }
        return stride(from: 0, to: xv.count, by: n).flatMap { f(Array(xv[$0..<($0 + n)])) }
    }

    public func softmax(_ x: Tensor) -> Tensor {
        let out = rows(x) { r in
            let m = r.max() ?? 0
            let e = r.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        return make(x.shape, out, DType.result(of: [x]))
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor {
        let w = weight.map(values)
        let out = rows(x) { r in
            let ms = r.map { $0 * $0 }.reduce(0, +) / Double(r.count)
            let inv = 1 / (ms + Double(eps)).squareRoot()
            return r.enumerated().map { $0.element * inv * (w?[$0.offset] ?? 1) }
        }
        return make(x.shape, out, DType.result(of: [x] + [weight].compactMap { $0 }))
    }

    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let w = weight.map(values), b = bias.map(values)
        let out = rows(x) { r in
            let mean = r.reduce(0, +) / Double(r.count)
            let variance = r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(r.count)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            return r.enumerated().map { ($0.element - mean) * inv * (w?[$0.offset] ?? 1) + (b?[$0.offset] ?? 0) }
        }
        return make(x.shape, out, DType.result(of: [x] + [weight, bias].compactMap { $0 }))
    }

    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let (nb, c) = (x.shape[0], x.shape[1])
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        let per = c / groups * spatial
        let xv = values(x), w = weight.map(values), b = bias.map(values)
        var out = [Double](repeating: 0, count: x.count)
        for n in 0..<nb {
            for g in 0..<groups {
                let base = (n * groups + g) * per
                let chunk = xv[base..<(base + per)]
                let mean = chunk.reduce(0, +) / Double(per)
                let variance = chunk.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(per)
                let inv = 1 / (variance + Double(eps)).squareRoot()
                for i in 0..<per {
                    let channel = g * (c / groups) + i / spatial
                    out[base + i] = (xv[base + i] - mean) * inv * (w?[channel] ?? 1) + (b?[channel] ?? 0)
                }
            }
        }
        return make(x.shape, out, DType.result(of: [x] + [weight, bias].compactMap { $0 }))
    }

    public func pixelNorm(_ x: Tensor, eps: Float) -> Tensor {
        let dtype = DType.result(of: [x])
        let (nb, c) = (x.shape[0], x.shape[1])
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        let xv = values(x)
        var out = [Double](repeating: 0, count: x.count)
        for n in 0..<nb {
            for p in 0..<spatial {
                // ltx-core: x / sqrt(mean(x², dim=1) + eps); in bf16 each op rounds.
                var s = 0.0
                for ch in 0..<c { s += step(xv[(n * c + ch) * spatial + p] * xv[(n * c + ch) * spatial + p], dtype) }
                let mean = dtype == .bf16 ? step(Double(Float(s) / Float(c)), dtype) : s / Double(c)
                let rms = step(step(mean + Double(eps), dtype).squareRoot(), dtype)
                for ch in 0..<c { out[(n * c + ch) * spatial + p] = xv[(n * c + ch) * spatial + p] / rms }
            }
        }
        return make(x.shape, out, dtype)
    }

    // MARK: Positional

    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        let dtype = DType.result(of: [x, cos, sin])
        let (nb, t, width) = (x.shape[0], x.shape[1], x.shape[2])
        let xv = values(x), cv = values(cos), sv = values(sin)
        let tb = cos.shape[0]
        var out = [Double](repeating: 0, count: x.count)
        func r(_ v: Double) -> Double { step(v, dtype) }
        for b in 0..<nb {
            let bt = tb == 1 ? 0 : b
            for ti in 0..<t {
                let row = (b * t + ti) * width
                switch layout {
                case .interleaved:
                    let tr = (bt * t + ti) * width
                    for i in stride(from: 0, to: width, by: 2) {
                        let (x0, x1) = (xv[row + i], xv[row + i + 1])
                        // torch: x·cos + rotate(x)·sin, rotate(x) = (-x1, x0); each op rounds in bf16.
                        out[row + i] = r(r(x0 * cv[tr + i]) + r(-x1 * sv[tr + i]))
                        out[row + i + 1] = r(r(x1 * cv[tr + i + 1]) + r(x0 * sv[tr + i + 1]))
                    }
                case .split:
                    let (heads, half) = (cos.shape[1], cos.shape[3])
                    for h in 0..<heads {
                        let tr = ((bt * heads + h) * t + ti) * half
                        for j in 0..<half {
                            let a = row + h * 2 * half + j, bIdx = a + half
                            // torch: out = x·cos (rounded), then addcmul_ of the other half (one rounding).
                            out[a] = r(r(xv[a] * cv[tr + j]) - sv[tr + j] * xv[bIdx])
                            out[bIdx] = r(r(xv[bIdx] * cv[tr + j]) + sv[tr + j] * xv[a])
                        }
                    }
                }
            }
        }
        return make(x.shape, out, dtype)
    }

    // MARK: Convolution, shuffles, resampling

    public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
        let dtype = DType.result(of: [x, weight] + [bias].compactMap { $0 })
        let (nb, ci) = (x.shape[0], x.shape[1])
        let ext = Array(x.shape[2...])
        let co = weight.shape[0]
        let k = Array(weight.shape[2...])
        let o = (0..<3).map { (ext[$0] + padding[$0].before + padding[$0].after - k[$0]) / stride[$0] + 1 }
        let xv = values(x), wv = values(weight), bv = bias.map(values)
        func source(_ p: Int, _ axis: Int) -> Int? {
            let n = ext[axis]
            if p >= 0 && p < n { return p }
            switch padding[axis].mode {
            case .zeros: return nil
            case .replicate: return p < 0 ? 0 : n - 1
            case .reflect: return p < 0 ? -p : 2 * (n - 1) - p
            }
        }
        var out = [Double](repeating: 0, count: nb * co * o.reduce(1, *))
        var at = 0
        for b in 0..<nb {
            for c in 0..<co {
                for t in 0..<o[0] {
                    for y in 0..<o[1] {
                        for xx in 0..<o[2] {
                            var s = bv?[c] ?? 0
                            for i in 0..<ci {
                                for dt in 0..<k[0] {
                                    guard let st = source(t * stride[0] + dt - padding[0].before, 0) else { continue }
                                    for dy in 0..<k[1] {
                                        guard let sy = source(y * stride[1] + dy - padding[1].before, 1) else { continue }
                                        for dx in 0..<k[2] {
                                            guard let sx = source(xx * stride[2] + dx - padding[2].before, 2) else { continue }
                                            s += xv[(((b * ci + i) * ext[0] + st) * ext[1] + sy) * ext[2] + sx]
                                                * wv[(((c * ci + i) * k[0] + dt) * k[1] + dy) * k[2] + dx]
                                        }
                                    }
                                }
                            }
                            out[at] = s
                            at += 1
                        }
                    }
                }
            }
        }
        return make([nb, co] + o, out, dtype)
    }

    /// The channel offset of block position `offsets` ((t,) h, w) for `order`.
    static func blockChannel(_ offsets: [Int], _ factors: [Int], _ order: SpaceToDepthOrder) -> Int {
        var axes = Array(factors.indices)
        if order == .timeWidthHeight { axes.swapAt(axes.count - 1, axes.count - 2) }
        return axes.reduce(0) { $0 * factors[$1] + offsets[$1] }
    }

    public func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        let n = factors.count
        let c = x.shape[1], block = factors.reduce(1, *)
        let outShape = [x.shape[0], c * block] + (0..<n).map { x.shape[2 + $0] / factors[$0] }
        let xv = values(x)
        var out = [Double](repeating: 0, count: x.count)
        for flat in 0..<x.count {
            let idx = Self.index(flat, x.shape)
            let offsets = (0..<n).map { idx[2 + $0] % factors[$0] }
            var o = [idx[0], idx[1] * block + Self.blockChannel(offsets, factors, order)]
            o += (0..<n).map { idx[2 + $0] / factors[$0] }
            out[o.indices.reduce(0) { $0 * outShape[$1] + o[$1] }] = xv[flat]
        }
        return make(outShape, out, x.dtype)
    }

    public func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        let n = factors.count
        let block = factors.reduce(1, *)
        let outShape = [x.shape[0], x.shape[1] / block] + (0..<n).map { x.shape[2 + $0] * factors[$0] }
        let xv = values(x)
        var out = [Double](repeating: 0, count: x.count)
        for flat in 0..<x.count {
            let idx = Self.index(flat, outShape)
            let offsets = (0..<n).map { idx[2 + $0] % factors[$0] }
            var s = [idx[0], idx[1] * block + Self.blockChannel(offsets, factors, order)]
            s += (0..<n).map { idx[2 + $0] / factors[$0] }
            out[flat] = xv[s.indices.reduce(0) { $0 * x.shape[$1] + s[$1] }]
        }
        return make(outShape, out, x.dtype)
    }

    public func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor {
        let (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let (oh, ow) = (size[0], size[1])
        let planes = x.shape.dropLast(2).reduce(1, *)
        let xv = values(x)
        func taps(_ n: Int, _ m: Int, _ i: Int) -> [(Int, Double)] {
            let scale = Double(n) / Double(m)
            switch mode {
            case .nearest:
                return [(Swift.min(Int((Double(Float(i) * Float(scale))).rounded(.down)), n - 1), 1)]
            case .bilinear:
                // torch computes the source coordinate and the lambdas in float32.
                let src = Swift.max((Float(i) + 0.5) * (Float(n) / Float(m)) - 0.5, 0)
                let i0 = Swift.min(Int(src.rounded(.down)), n - 1), i1 = Swift.min(i0 + 1, n - 1)
                let l1 = Double(src - Float(i0))
                return i0 == i1 ? [(i0, 1)] : [(i0, 1 - l1), (i1, l1)]
            case .area:
                let start = i * n / m, end = ((i + 1) * n + m - 1) / m
                return (start..<end).map { ($0, 1 / Double(end - start)) }
            }
        }
        var out = [Double](repeating: 0, count: planes * oh * ow)
        for p in 0..<planes {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var s = 0.0
                    for (iy, wy) in taps(h, oh, oy) {
                        for (ix, wx) in taps(w, ow, ox) { s += xv[(p * h + iy) * w + ix] * wy * wx }
                    }
                    out[(p * oh + oy) * ow + ox] = s
                }
            }
        }
        return make(Array(x.shape.dropLast(2)) + [oh, ow], out, DType.result(of: [x]))
    }

    // MARK: Layout

    public func permute(_ x: Tensor, axes: [Int]) -> Tensor {
        let outShape = axes.map { x.shape[$0] }
        let inStrides = Self.strides(x.shape)
        let xv = values(x)
        let out = (0..<x.count).map { flat -> Double in
            let idx = Self.index(flat, outShape)
            return xv[idx.indices.reduce(0) { $0 + idx[$1] * inStrides[axes[$1]] }]
        }
        return make(outShape, out, x.dtype)
    }

    public func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        var outShape = x.shape
        outShape[axis] = range.count
        let xv = values(x)
        let out = (0..<outShape.reduce(1, *)).map { flat -> Double in
            var idx = Self.index(flat, outShape)
            idx[axis] += range.lowerBound
            return xv[idx.indices.reduce(0) { $0 * x.shape[$1] + idx[$1] }]
        }
        return make(outShape, out, x.dtype)
    }

    public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        var outShape = tensors[0].shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let dtype = tensors.dropFirst().reduce(tensors[0].dtype) { DType.promoted($0, $1.dtype) }
        var out = [Double](repeating: 0, count: outShape.reduce(1, *))
        var offset = 0
        for t in tensors {
            let tv = values(t)
            for flat in 0..<t.count {
                var idx = Self.index(flat, t.shape)
                idx[axis] += offset
                out[idx.indices.reduce(0) { $0 * outShape[$1] + idx[$1] }] = tv[flat]
            }
            offset += t.shape[axis]
        }
        return make(outShape, out, DType.promoted(dtype, dtype))
    }

    public func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int]) {
        var out = self.values(base)
        let vv = self.values(values)
        for flat in 0..<values.count {
            let idx = Self.index(flat, values.shape)
            out[idx.indices.reduce(0) { $0 * base.shape[$1] + idx[$1] + offsets[$1] }] += vv[flat]
        }
        base = make(base.shape, out, base.dtype)
    }
}
