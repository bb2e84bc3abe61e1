
extension Tensor {
    /// 3D convolution (torch `conv3d`, groups 1, dilation 1) of `[B, Cin, F, H, W]` with
    /// `weight [Cout, Cin, kt, kh, kw]` and `bias [Cout]` -> `[B, Cout, F', H', W']`,
    /// `F' = (F + padT - kt) / strideT + 1` (likewise H', W').
    ///
    /// On oneDNN's kernels where oneDNN is there (`OneDNN.conv3d`); otherwise in bands of
    /// output rows (over frames and rows together), each one GEMM `weight[Cout, Cin*kt*kh*kw] ·
    /// columns` over its own im2col buffer (about 4 MiB), written straight into the output (row
    /// stride F'*H'*W'); the bands run in parallel, one per worker, with OpenBLAS on one thread.
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
