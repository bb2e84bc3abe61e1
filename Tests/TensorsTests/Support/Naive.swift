import Tensors
import TensorsTestSupport

/// The slow, obviously-correct twins the unit tests compare the CPU kernels with: thin
/// spellings over `ReferenceBackend` (plain loops, Double accumulation, no code shared with
/// the library), kept so each test reads as "fast op == naive definition".
enum Naive {
    static let reference = ReferenceBackend()

    /// `[..., M, K] · [..., K, N]` with broadcast batch axes.
    static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        reference.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
    }

    static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        reference.linear(x, weight: weight, bias: bias)
    }

    enum Pad { case zeros, reflect, replicate }

    /// Direct 3D convolution.
    static func conv3d(
        _ x: Tensor, weight w: Tensor, bias: Tensor?, stride: [Int], padBefore: [Int], padAfter: [Int], modes: [Pad]
    ) -> Tensor {
        let padding = (0..<3).map { a -> AxisPadding in
            let mode: PaddingMode = switch modes[a] {
            case .zeros: .zeros
            case .reflect: .reflect
            case .replicate: .replicate
            }
            return AxisPadding(before: padBefore[a], after: padAfter[a], mode: mode)
        }
        return reference.conv3d(x, weight: w, bias: bias, stride: stride, padding: padding)
    }

    /// Full-softmax attention on `[B, H, T, d]`, materialising every score row.
    static func attention(
        q: Tensor, k: Tensor, v: Tensor, additive: Tensor? = nil, multiplicative: Tensor? = nil, scale: Float? = nil
    ) -> Tensor {
        let mask: AttentionMask? = additive.map { .additive($0) } ?? multiplicative.map { .multiplicative($0) }
        return reference.attention(
            query: q, key: k, value: v, layout: .headsFirst, mask: mask,
            scale: scale ?? 1 / Float(q.shape[3]).squareRoot())
    }

    /// Permute by computing, for every output index, its input index.
    static func permute(_ x: Tensor, _ axes: [Int]) -> Tensor {
        reference.permute(x, axes: axes)
    }
}
