/// Building RoPE tables from angles, as ltx-core's `interleaved_freqs_cis` and
/// `split_freqs_cis` do. Computing the angles themselves (positions, fractions, the
/// precision of each step) is model code: see the reading map's precision trap. The tables are
/// float32, built by tensor ops on the angles' device (millions of sin/cos at full size: on a
/// GPU they take microseconds, on the host they held the GPU up).
public enum RoPE {
    /// cos/sin tables for `layout` from `angles [B, T, n]` (ltx-core's `freqs`, ordered
    /// frequency-major, axis-minor) for a width of `width` channels and `heads` heads.
    /// - interleaved: each cos/sin value repeated twice, then `width mod (2*axes)` leading
    ///   channels of cos 1 / sin 0 (`axes` = 3 for (t, h, w)) -> `[B, T, width]`.
    /// - split: `width/2 - n` leading channels of cos 1 / sin 0, reshaped to heads ->
    ///   `[B, heads, T, width/(2*heads)]`.
    public static func tables(
        angles: Tensor, width: Int, heads: Int, layout: RoPELayout, positionAxes: Int = 3
    ) -> (cos: Tensor, sin: Tensor) {
        require(angles.rank == 3, "RoPE angles must be [B, T, n], got \(angles.shape)")
        let (b, t, n) = (angles.shape[0], angles.shape[1], angles.shape[2])
        let a = angles.to(dtype: .f32)
        // Leading channels of cos 1 / sin 0, then the values.
        func padded(_ values: Tensor, _ pad: Int, one: Float) -> Tensor {
            guard pad > 0 else { return values }
            let filler = Tensor(repeating: one, shape: [b, t, pad], device: values.device)
            return Tensor.concatenated([filler, values], axis: 2)
        }
        switch layout {
        case .interleaved:
            let pad = width % (2 * positionAxes)
            require(pad + 2 * n == width, "interleaved RoPE: \(n) angles do not fill width \(width)")
            // Each value twice: [B, T, n, 2] -> [B, T, 2n].
            func twice(_ x: Tensor) -> Tensor {
                let x1 = x.unsqueezed(3)
                return Tensor.concatenated([x1, x1], axis: 3).reshaped([b, t, 2 * n])
            }
            return (padded(twice(a.cos()), pad, one: 1), padded(twice(a.sin()), pad, one: 0))
        case .split:
            let halfWidth = width / 2
            require(width % 2 == 0 && n <= halfWidth, "split RoPE: \(n) angles do not fit width \(width)")
            require(halfWidth % heads == 0, "split RoPE: width \(width) does not split into \(heads) heads")
            let pad = halfWidth - n
            // [B, T, H, d/2] -> [B, H, T, d/2]
            let perHead = halfWidth / heads
            func toHeads(_ x: Tensor) -> Tensor { x.reshaped([b, t, heads, perHead]).permuted([0, 2, 1, 3]) }
            return (toHeads(padded(a.cos(), pad, one: 1)), toHeads(padded(a.sin(), pad, one: 0)))
        }
    }
}
