import Foundation
import Tensors

/// Slow, obviously-correct twins of the BLAS-backed ops, accumulating in Double. They share
/// no code with the library (not even its padding index maps).
enum Naive {
    /// `[..., M, K] · [..., K, N]` with identical batch axes (or a rank-2 B), triple loop.
    static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        let batch = Array(a.shape.dropLast(2))
        let items = batch.reduce(1, *)
        let shareB = b.rank == 2
        let av = a.hostScalars(), bv = b.hostScalars()
        var out = [Float](repeating: 0, count: items * m * n)
        for item in 0..<items {
            let ao = item * m * k, bo = shareB ? 0 : item * k * n
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        let x = transposeA ? av[ao + p * m + i] : av[ao + i * k + p]
                        let y = transposeB ? bv[bo + j * k + p] : bv[bo + p * n + j]
                        s += Double(x) * Double(y)
                    }
                    out[item * m * n + i * n + j] = Float(s)
                }
            }
        }
        return Tensor(shape: batch + [m, n], scalars: out)
    }

    static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inF = weight.shape[1], outF = weight.shape[0]
        let rows = x.shape.dropLast().reduce(1, *)
        let y = matmul(x.reshaped([rows, inF]), weight, transposeB: true)
        var out = y.hostScalars()
        if let bias {
            for r in 0..<rows { for j in 0..<outF { out[r * outF + j] += bias.hostScalars()[j] } }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outF], scalars: out)
    }

    enum Pad { case zeros, reflect, replicate }

    /// Direct 3D convolution: for every output element, sum over input channels and kernel
    /// taps, reading the padded input through `read`.
    static func conv3d(
        _ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padBefore: [Int], padAfter: [Int], modes: [Pad]
    ) -> Tensor {
        let (nb, ci) = (x.shape[0], x.shape[1])
        let ext = [x.shape[2], x.shape[3], x.shape[4]]
        let co = w.shape[0]
        let k = [w.shape[2], w.shape[3], w.shape[4]]
        var o = [0, 0, 0]
        for a in 0..<3 {
            let padded: Int = ext[a] + padBefore[a] + padAfter[a]
            o[a] = (padded - k[a]) / stride[a] + 1
        }
        let xv = x.hostScalars(), wv = w.hostScalars()
        func source(_ p: Int, _ axis: Int) -> Int? {
            let n = ext[axis]
            if p >= 0 && p < n { return p }
            switch modes[axis] {
            case .zeros: return nil
            case .replicate: return p < 0 ? 0 : n - 1
            case .reflect: return p < 0 ? -p : 2 * (n - 1) - p
            }
        }
        var out = [Float](repeating: 0, count: nb * co * o[0] * o[1] * o[2])
        var idx = 0
        for b in 0..<nb {
            for c in 0..<co {
                for t in 0..<o[0] {
                    for y in 0..<o[1] {
                        for xx in 0..<o[2] {
                            var s = Double(bias?.hostScalars()[c] ?? 0)
                            for i in 0..<ci {
                                for dt in 0..<k[0] {
                                    guard let st = source(t * stride[0] + dt - padBefore[0], 0) else { continue }
                                    for dy in 0..<k[1] {
                                        guard let sy = source(y * stride[1] + dy - padBefore[1], 1) else { continue }
                                        for dx in 0..<k[2] {
                                            guard let sx = source(xx * stride[2] + dx - padBefore[2], 2) else {
                                                continue
                                            }
                                            let xi = (((b * ci + i) * ext[0] + st) * ext[1] + sy) * ext[2] + sx
                                            let wi = (((c * ci + i) * k[0] + dt) * k[1] + dy) * k[2] + dx
                                            s += Double(xv[xi]) * Double(wv[wi])
                                        }
                                    }
                                }
                            }
                            out[idx] = Float(s)
                            idx += 1
                        }
                    }
                }
            }
        }
        return Tensor(shape: [nb, co] + o, scalars: out)
    }

    /// Full-softmax attention on `[B, H, T, d]`, materialising every score row.
    static func attention(
        q: Tensor, k: Tensor, v: Tensor, additive: Tensor? = nil, multiplicative: Tensor? = nil, scale: Float? = nil
    ) -> Tensor {
        let (nb, nh, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let tk = k.shape[2], dv = v.shape[3]
        let sc = Double(scale ?? 1 / Float(d).squareRoot())
        let qv = q.hostScalars(), kv = k.hostScalars(), vv = v.hostScalars()
        func maskValue(_ m: Tensor, _ b: Int, _ h: Int, _ i: Int, _ j: Int) -> Double {
            let s = [Int](repeating: 1, count: 4 - m.rank) + m.shape
            let idx = [b, h, i, j].enumerated().map { s[$0.offset] == 1 ? 0 : $0.element }
            return Double(m.hostScalars()[((idx[0] * s[1] + idx[1]) * s[2] + idx[2]) * s[3] + idx[3]])
        }
        var out = [Float](repeating: 0, count: nb * nh * tq * dv)
        for b in 0..<nb {
            for h in 0..<nh {
                let head = b * nh + h
                for i in 0..<tq {
                    var scores = [Double](repeating: 0, count: tk)
                    var weights = [Double](repeating: 1, count: tk)
                    for j in 0..<tk {
                        var s = 0.0
                        for p in 0..<d { s += Double(qv[(head * tq + i) * d + p]) * Double(kv[(head * tk + j) * d + p]) }
                        scores[j] = s * sc + (additive.map { maskValue($0, b, h, i, j) } ?? 0)
                        weights[j] = multiplicative.map { maskValue($0, b, h, i, j) } ?? 1
                    }
                    let m = zip(scores, weights).filter { $0.1 > 0 }.map(\.0).max() ?? 0
                    let e = zip(scores, weights).map { Foundation.exp($0.0 - m) * $0.1 }
                    let total = e.reduce(0, +)
                    for c in 0..<dv {
                        var s = 0.0
                        for j in 0..<tk { s += e[j] * Double(vv[(head * tk + j) * dv + c]) }
                        out[(head * tq + i) * dv + c] = Float(s / total)
                    }
                }
            }
        }
        return Tensor(shape: [nb, nh, tq, dv], scalars: out)
    }

    /// Permute by computing, for every output index, its input index.
    static func permute(_ x: Tensor, _ axes: [Int]) -> Tensor {
        let outShape = axes.map { x.shape[$0] }
        let inStrides = x.strides
        let n = x.count
        var out = [Float](repeating: 0, count: n)
        for flat in 0..<n {
            var rem = flat, src = 0
            for axis in (0..<outShape.count).reversed() {
                src += (rem % outShape[axis]) * inStrides[axes[axis]]
                rem /= outShape[axis]
            }
            out[flat] = x.hostScalars()[src]
        }
        return Tensor(shape: outShape, scalars: out)
    }
}
