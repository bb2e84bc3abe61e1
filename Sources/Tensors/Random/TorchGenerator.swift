/// A seeded generator whose `randn` reproduces `torch.randn(shape, generator=g, dtype=…)` on
/// one of torch's two generators, successive draws included (docs/noise.md).
///
///     var g = TorchGenerator.cuda(seed: 42)          // ltx-pipelines' default: GPU noise
///     let eps = g.randn(shape: [1, 4096, 128], dtype: .bf16)
///     let eps2 = g.randn(shape: [1, 16384, 128], dtype: .bf16)   // the stage-2 draw
public enum TorchGenerator: Sendable, Equatable {
    case cpu(TorchCPUGenerator)
    case cuda(TorchCUDAGenerator)

    /// `torch.Generator().manual_seed(seed)` (mt19937).
    public static func cpu(seed: UInt64, floatKernel: TorchCPUGenerator.FloatKernel = .avx2) -> TorchGenerator {
        .cpu(TorchCPUGenerator(seed: seed, floatKernel: floatKernel))
    }

    /// `torch.Generator("cuda").manual_seed(seed)` (Philox4x32-10) on a GPU with this many
    /// multiprocessors and threads per multiprocessor; the defaults are the H100's and H200's.
    public static func cuda(seed: UInt64, multiprocessors: Int = 132, threadsPerMultiprocessor: Int = 2048) -> TorchGenerator {
        .cuda(TorchCUDAGenerator(seed: seed, multiprocessors: multiprocessors, threadsPerMultiprocessor: threadsPerMultiprocessor))
    }

    /// A standard normal tensor of `shape` in `dtype` (`.f32` or `.bf16`) on `device`, as torch
    /// draws it. The CUDA generator draws on a GPU whose backend does it natively (the CUDA
    /// backend: bit for bit torch's draw); otherwise the draw is made on the host and copied.
    public mutating func randn(shape: [Int], dtype: DType = .f32, device: Device) -> Tensor {
        if device != .cpu, case .cuda(var g) = self {
            let count = shape.reduce(1, *)
            let (threads, _) = g.launch(count: max(count, 1))
            if let drawn = BackendRegistry.backend(for: device).torchCUDANormal(
                count: count, seed: g.seed, offset: g.offset, threads: threads, dtype: dtype) {
                g.skip(count: count)
                self = .cuda(g)
                return drawn.reshaped(shape)
            }
        }
        return randn(shape: shape, dtype: dtype).to(device: device)
    }

    /// The state after a draw of `count` values in `dtype`, without making it where the
    /// generator allows (the CUDA generator only moves its offset; the CPU one must draw).
    public mutating func advance(pastDrawOf count: Int, dtype: DType = .f32) {
        switch self {
        case .cuda(var g):
            g.skip(count: count)
            self = .cuda(g)
        case .cpu:
            _ = randn(shape: [count], dtype: dtype)
        }
    }

    /// A standard normal host tensor of `shape` in `dtype` (`.f32` or `.bf16`), as torch draws it.
    public mutating func randn(shape: [Int], dtype: DType = .f32) -> Tensor {
        require(shape.allSatisfy { $0 >= 0 }, "randn: negative extent in \(shape)")
        let count = shape.reduce(1, *)
        let scalars: [Float]
        switch self {
        case .cpu(var g):
            scalars = g.normalScalars(count: count, dtype: dtype)
            self = .cpu(g)
        case .cuda(var g):
            scalars = g.normalScalars(count: count, dtype: dtype)
            self = .cuda(g)
        }
        let tensor = Tensor(shape: shape, scalars: scalars)
        return dtype == .f32 ? tensor : tensor.to(dtype: dtype)
    }
}
