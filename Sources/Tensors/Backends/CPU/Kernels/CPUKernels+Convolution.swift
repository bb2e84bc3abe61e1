
extension Tensor {
    /// 3D convolution (torch `conv3d`, groups 1, dilation 1) of `[B, Cin, F, H, W]` with
    /// `weight [Cout, Cin, kt, kh, kw]` and `bias [Cout]` -> `[B, Cout, F', H', W']`,
    /// `F' = (F + padT - kt) / strideT + 1` (likewise H', W').
    ///
    /// Computed per output frame as one GEMM `weight[Cout, Cin*kt*kh*kw] · columns` over an
    /// im2col buffer, written straight into the output (row stride F'*H'*W'); large frames
    /// are cut into bands of output rows so the buffer stays near 32 MiB.
    /// - Parameters:
    ///   - stride: `(t, h, w)` strides.
    ///   - padding: `[time, height, width]` paddings, each with its own mode.
    func cpuConv3d(
        weight: Tensor, bias: Tensor? = nil, stride: [Int] = [1, 1, 1],
        padding: [AxisPadding] = [.none, .none, .none]
    ) -> Tensor {
        // Ranks were checked by `Tensor.conv3d`; `Convolution.run` checks the extents.
        Convolution.run(
            input: self, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
