import Tensors

/// ltx-core's `SpaceToDepthDownsample` (`compress_*_res`): for a time stride of 2 the first
/// frame is repeated in front; the skip path folds blocks into channels (time, height, width
/// offsets, width fastest) and averages groups of consecutive channels; the main path is a
/// causal convolution to `out / prod(stride)` channels folded the same way.
struct SpaceToDepthDownsample: Sendable {
    var conv: CausalConv3d
    var stride: [Int]
    var outChannels: Int

    init(_ r: WeightReader, _ name: String, in cin: Int, out: Int, stride: [Int], padding: PaddingMode) throws(WeightFileError) {
        let fold = stride.reduce(1, *)
        conv = try CausalConv3d(r, "\(name).conv", in: cin, out: out / fold, padding: padding)
        self.stride = stride
        outChannels = out
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        var x = input
        if stride[0] == 2 { x = Tensor.concatenated([x.sliced(axis: 2, 0..<1), x], axis: 2) }
        let folded = x.spaceToDepth(stride)
        let (b, d, h, w) = (folded.shape[0], folded.shape[2], folded.shape[3], folded.shape[4])
        let group = folded.shape[1] / outChannels
        let skip = folded.reshaped([b, outChannels, group, d * h * w]).mean(alongAxis: 2).reshaped([b, outChannels, d, h, w])
        return conv(x, causal: true).spaceToDepth(stride) + skip
    }
}

/// ltx-core's `DepthToSpaceUpsample` (`compress_*` in the decoder): a causal convolution to
/// `prod(stride) · in / multiplier` channels, unfolded into blocks; for a time stride of 2 the
/// first frame is dropped (it stands for the encoder's repeated frame). With `residual` the
/// unfolded input, tiled along channels, is added back.
struct DepthToSpaceUpsample: Sendable {
    var conv: CausalConv3d
    var stride: [Int]
    var multiplier: Int
    var residual: Bool

    init(
        _ r: WeightReader, _ name: String, in cin: Int, stride: [Int], multiplier: Int, residual: Bool, padding: PaddingMode
    ) throws(WeightFileError) {
        conv = try CausalConv3d(r, "\(name).conv", in: cin, out: stride.reduce(1, *) * cin / multiplier, padding: padding)
        self.stride = stride
        self.multiplier = multiplier
        self.residual = residual
    }

    func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        var y = conv(x, causal: causal).depthToSpace(stride)
        if stride[0] == 2 { y = y.sliced(axis: 2, 1..<y.shape[2]) }
        guard residual else { return y }
        let unfolded = x.depthToSpace(stride)
        var skip = Tensor.concatenated(Array(repeating: unfolded, count: stride.reduce(1, *) / multiplier), axis: 1)
        if stride[0] == 2 { skip = skip.sliced(axis: 2, 1..<skip.shape[2]) }
        return y + skip
    }
}
