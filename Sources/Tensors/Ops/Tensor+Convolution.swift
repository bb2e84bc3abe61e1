/// How a convolution fills positions outside the input along one axis.
public enum PaddingMode: String, Sendable, CaseIterable {
    /// Zeros (torch `padding_mode="zeros"`).
    case zeros
    /// Mirror without repeating the edge: `[a b c]` padded by 2 is `c b [a b c] b a`
    /// (torch `"reflect"`; the padding must be smaller than the extent).
    case reflect
    /// Repeat the edge element (torch `"replicate"`; ltx-core's temporal padding, which
    /// repeats the first and last frames).
    case replicate
}

/// Padding of one axis: amounts before and after, and how positions are filled.
public struct AxisPadding: Sendable, Equatable {
    public var before: Int
    public var after: Int
    public var mode: PaddingMode

    public init(before: Int, after: Int, mode: PaddingMode = .zeros) {
        require(before >= 0 && after >= 0, "negative padding \(before), \(after)")
        self.before = before
        self.after = after
        self.mode = mode
    }

    /// `amount` on both sides.
    public static func symmetric(_ amount: Int, _ mode: PaddingMode = .zeros) -> AxisPadding {
        AxisPadding(before: amount, after: amount, mode: mode)
    }

    public static let none = AxisPadding(before: 0, after: 0)
}

extension Tensor {
    /// 3D convolution (torch `conv3d`, groups 1, dilation 1) of `[B, Cin, F, H, W]` with
    /// `weight [Cout, Cin, kt, kh, kw]` and `bias [Cout]` -> `[B, Cout, F', H', W']`,
    /// `F' = (F + padT - kt) / strideT + 1` (likewise H', W').
    /// - Parameters:
    ///   - stride: `(t, h, w)` strides.
    ///   - padding: `[time, height, width]` paddings, each with its own mode.
    public func conv3d(
        weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1, 1],
        padding: [AxisPadding] = [.none, .none, .none]
    ) -> Tensor {
        require(rank == 5, "conv3d expects [B, C, F, H, W], got \(shape)")
        require(weight.rank == 5, "conv3d weight must be [Cout, Cin, kt, kh, kw], got \(weight.shape)")
        require(stride.count == 3 && padding.count == 3, "conv3d needs three strides and paddings")
        return Tensor.backend(self, weight, bias).conv3d(self, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// ltx-core's `CausalConv3d`: spatial padding `k/2` on each side (zeros or reflect),
    /// temporal padding by repeating frames, never zeros: causal puts `kt - 1` copies of the
    /// first frame in front; non-causal puts `(kt - 1)/2` copies of the first frame in front
    /// and as many of the last frame behind.
    public func causalConv3d(
        weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1, 1], causal: Bool = true,
        spatialPadding: PaddingMode = .zeros
    ) -> Tensor {
        require(weight.rank == 5, "causalConv3d weight must be [Cout, Cin, kt, kh, kw], got \(weight.shape)")
        let (kt, kh, kw) = (weight.shape[2], weight.shape[3], weight.shape[4])
        let time =
            causal
            ? AxisPadding(before: kt - 1, after: 0, mode: .replicate)
            : AxisPadding.symmetric((kt - 1) / 2, .replicate)
        return conv3d(
            weight: weight, bias: bias, stride: stride,
            padding: [time, .symmetric(kh / 2, spatialPadding), .symmetric(kw / 2, spatialPadding)])
    }

    /// 2D convolution (torch `conv2d`, groups 1, dilation 1) of `[B, Cin, H, W]` with
    /// `weight [Cout, Cin, kh, kw]` -> `[B, Cout, H', W']`; the 3D path with one frame.
    /// - Parameters:
    ///   - stride: `(h, w)` strides.
    ///   - padding: `[height, width]` paddings.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1],
        padding: [AxisPadding] = [.none, .none]
    ) -> Tensor {
        require(rank == 4, "conv2d expects [B, C, H, W], got \(shape)")
        require(weight.rank == 4, "conv2d weight must be [Cout, Cin, kh, kw], got \(weight.shape)")
        require(stride.count == 2 && padding.count == 2, "conv2d needs two strides and paddings")
        let x = reshaped([shape[0], shape[1], 1, shape[2], shape[3]])
        let w = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2], weight.shape[3]])
        let y = x.conv3d(weight: w, bias: bias, stride: [1] + stride, padding: [.none] + padding)
        return y.reshaped([y.shape[0], y.shape[1], y.shape[3], y.shape[4]])
    }
}
