
extension Tensor {
    /// Resamples the last two axes of `[..., H, W]` to `size = [H', W']` (torch
    /// `F.interpolate(x, size=...)` on `[N, C, H, W]`).
    func cpuInterpolated(size: [Int], mode: InterpolationMode) -> Tensor {
        require(rank >= 2 && size.count == 2, "interpolate expects [..., H, W] and a size [H', W']")
        let (h, w) = (shape[rank - 2], shape[rank - 1])
        let (oh, ow) = (size[0], size[1])
        require(oh >= 0 && ow >= 0, "interpolate size \(size) must not be negative")
        require(h > 0 && w > 0 || oh * ow == 0, "interpolate from empty \(shape)")
        let planes = shape.dropLast(2).reduce(1, *)
        let ys = Resample(input: h, output: oh, mode: mode)
        let xs = Resample(input: w, output: ow, mode: mode)
        return Tensor(shape: Array(shape.dropLast(2)) + size) { out in
            withUnsafeBufferPointer { src in
                let s = src.baseAddress, d = out.baseAddress
                guard planes * oh * ow > 0 else { return }
                parallelFor(planes * oh) { range in
                    for item in range {
                        let plane = item / oh, oy = item % oh
                        let ip = s! + plane * h * w
                        let orow = d! + item * ow
                        for ox in 0..<ow {
                            var acc: Float = 0
                            for (iy, wy) in ys.taps[oy] {
                                var rowAcc: Float = 0
                                for (ix, wx) in xs.taps[ox] { rowAcc += ip[iy * w + ix] * wx }
                                acc += rowAcc * wy
                            }
                            orow[ox] = acc
                        }
                    }
                }
            }
        }
    }
}

/// The input taps and weights of every output position along one axis.
struct Resample {
    var taps: [[(Int, Float)]]

    init(input n: Int, output m: Int, mode: InterpolationMode) {
        let scale = m == 0 ? 0 : Float(n) / Float(m)
        taps = (0..<m).map { i in
            switch mode {
            case .nearest:
                return [(Swift.min(Int((Float(i) * scale).rounded(.down)), n - 1), Float(1))]
            case .bilinear:
                let src = Swift.max((Float(i) + 0.5) * scale - 0.5, 0)
                let i0 = Swift.min(Int(src.rounded(.down)), n - 1)
                let i1 = Swift.min(i0 + 1, n - 1)
                let l1 = src - Float(i0)
                return i1 == i0 ? [(i0, Float(1))] : [(i0, 1 - l1), (i1, l1)]
            case .area:
                let start = (i * n) / m
                let end = ((i + 1) * n + m - 1) / m
                let weight = 1 / Float(end - start)
                return (start..<end).map { ($0, weight) }
            }
        }
    }
}
