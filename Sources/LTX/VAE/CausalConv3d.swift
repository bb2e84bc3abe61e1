import Tensors

/// ltx-core's `CausalConv3d` (kernel k in every axis): spatial padding k/2 with zeros or
/// reflection, temporal padding by repeating the first frame (causal) or the first and the
/// last frame (non-causal), never zeros. Weights under `<name>.conv.{weight,bias}`.
struct CausalConv3d: Sendable {
    var weight: Tensor
    var bias: Tensor
    var stride: [Int]
    var padding: PaddingMode

    init(
        _ r: WeightReader, _ name: String, in cin: Int, out: Int, kernel: Int = 3, stride: [Int] = [1, 1, 1],
        padding: PaddingMode, nested: Bool = true
    ) throws(WeightFileError) {
        let prefix = nested ? "\(name).conv" : name
        weight = try r.tensor("\(prefix).weight", [out, cin, kernel, kernel, kernel])
        bias = try r.tensor("\(prefix).bias", [out])
        self.stride = stride
        self.padding = padding
    }

    var outChannels: Int { weight.shape[0] }

    func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        x.causalConv3d(weight: weight, bias: bias, stride: stride, causal: causal, spatialPadding: padding)
    }
}

/// ltx-core's `PerChannelStatistics`: latents are stored normalised per channel,
/// `z = (mu - mean) / std`. The encoder, the decoder and the upsampler's `upsample_video`
/// share one set (`vae.per_channel_statistics.*` in a ComfyUI-style checkpoint).
public struct PerChannelStatistics: Sendable {
    /// `[1, C, 1, 1, 1]` each.
    var mean: Tensor
    var std: Tensor

    /// Reads the statistics of a checkpoint's VAE.
    public init(file: SafetensorsFile, channels: Int, dtype: DType = .f32, device: Device = .cpu) throws(WeightFileError) {
        let r = WeightReader(try LTXComponent.videoEncoder.keyMap.apply(to: file), dtype: dtype, device: device)
        try self.init(r, channels: channels)
    }

    init(_ r: WeightReader, channels: Int) throws(WeightFileError) {
        mean = try r.tensor("per_channel_statistics.mean-of-means", [channels]).reshaped([1, channels, 1, 1, 1])
        std = try r.tensor("per_channel_statistics.std-of-means", [channels]).reshaped([1, channels, 1, 1, 1])
    }

    public func normalize(_ x: Tensor) -> Tensor { (x - mean) / std }
    public func unnormalize(_ x: Tensor) -> Tensor { x * std + mean }
}
