import Foundation
import Tensors

/// The rotary tables of the video transformer from token positions (reading map 3.3):
/// frequencies `omega_j = theta^(j/(n-1)) · π/2`, `n = D/6`, angles
/// `omega_j · (2 · mid/max_pos - 1)` per axis, frequency-major and axis-minor, then cos/sin in
/// float32, padded and laid out for the model's RoPE layout, in the model dtype.
///
/// The precision trap is kept: `mid`, the fraction and `2·frac - 1` are computed in the
/// dtype of the positions tensor (bf16 positions round after each step), the product with
/// omega in float32.
public enum RoPEFrequencies {
    /// The frequency grid: float32 arithmetic as ltx-core's `generate_freq_grid_pytorch`, or
    /// float64 rounded once (`generate_freq_grid_np`, `frequencies_precision: float64`).
    public static func grid(theta: Double, count n: Int, float64: Bool) -> [Float] {
        guard n > 0 else { return [] }
        if float64 {
            // numpy: linspace(0, 1, n) in float64 (the last value exactly 1), power, · π/2.
            return (0..<n).map { j in
                let e = n == 1 ? 0 : (j == n - 1 ? 1 : Double(j) * (1 / Double(n - 1)))
                return Float(pow(theta, e) * Double.pi / 2)
            }
        }
        // torch.linspace(0, 1, n) in float32 fills from both ends with step = 1/(n-1), each
        // value `start + step·j` or `end - step·(n-1-j)` rounded once (its vector kernel fuses
        // the multiply-add; this reproduces it bit for bit). Then theta ** e and · π/2 in
        // float32. torch's float pow (a vectorised Sleef routine) is not correctly rounded:
        // computing it in float64 and rounding once differs from it by 1 ulp in 6 of the 682
        // frequencies at width 4096 (RoPEGridTests); the float64 grid of LTX-2.3 is exact.
        let step = n == 1 ? Float(0) : Float(1) / Float(n - 1)
        let halfway = n / 2
        return (0..<n).map { j in
            let e: Float = j < halfway
                ? Float(Double(step) * Double(j))
                : Float(1 - Double(step) * Double(n - 1 - j))
            let p = Float(pow(Double(Float(theta)), Double(e)))
            return p * Float(Double.pi / 2)
        }
    }

    /// Angles `[B, T, 3n]` from positions `[B, 3, T, 2]` (float32 or bf16), by tensor ops on
    /// the positions' device: each step of the fraction in the positions' dtype (so bf16
    /// positions round after each, as torch's bf16 ops do), the product with omega in float32.
    public static func angles(positions: Tensor, config c: TransformerConfig) -> Tensor {
        require(positions.rank == 4 && positions.shape[1] == 3 && positions.shape[3] == 2,
            "positions must be [B, 3, T, 2], got \(positions.shape)")
        let (b, t) = (positions.shape[0], positions.shape[2])
        let n = c.width / 6
        let device = positions.device, dtype = positions.dtype
        let omega = Tensor(shape: [n, 1], scalars: grid(theta: c.ropeTheta, count: n, float64: c.float64FrequencyGrid))
        let maxPositions = Tensor(shape: [1, 3, 1, 1], scalars: c.maxPositions.map { Float($0) })
        // mid = (start + end) / 2, frac = mid / max, centred = 2·frac - 1: [B, 3, T, 1]
        let mid = (positions.sliced(axis: 3, 0..<1) + positions.sliced(axis: 3, 1..<2)) / 2
        let fraction = mid / maxPositions.to(dtype: dtype).to(device: device)
        let centred = (fraction * 2 - 1).to(dtype: .f32)
        // [B, T, 1, 3] · omega [n, 1] -> [B, T, n, 3]: frequency-major, axis-minor.
        let angles = centred.permuted([0, 2, 3, 1]) * omega.to(device: device)
        return angles.reshaped([b, t, 3 * n])
    }

    /// cos/sin tables for the model's layout, in `dtype`, on the positions' device.
    public static func tables(positions: Tensor, config c: TransformerConfig, dtype: DType) -> (cos: Tensor, sin: Tensor) {
        let a = angles(positions: positions, config: c)
        let (cos, sin) = RoPE.tables(angles: a, width: c.width, heads: c.heads, layout: c.ropeLayout)
        return (cos.to(dtype: dtype), sin.to(dtype: dtype))
    }
}
