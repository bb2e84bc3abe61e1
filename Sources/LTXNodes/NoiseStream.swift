import Foundation
import ReelflowEngine
import Tensors

/// What travels on a GENERATOR edge: a torch-compatible generator as its seed and the draws
/// taken from it so far. A sampler that continues a stream replays those draws, so its noise
/// is what torch would draw next from one generator shared by every stage, as ltx-pipelines
/// does; the value is small and exact to cache.
public struct NoiseStream: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// torch's CUDA generator (Philox), ltx-pipelines' default: it runs on GPUs.
        case cuda
        /// torch's CPU generator (mt19937).
        case cpu
    }

    public struct Draw: Sendable, Codable, Equatable {
        public var count: Int
        public var dtype: String
    }

    public var kind: Kind
    public var seed: UInt64
    public var draws: [Draw] = []

    public init(kind: Kind, seed: UInt64) {
        self.kind = kind
        self.seed = seed
    }

    /// The generator in the state after the recorded draws.
    public func generator() -> TorchGenerator {
        var g: TorchGenerator = kind == .cuda ? .cuda(seed: seed) : .cpu(seed: seed)
        for draw in draws { g.advance(pastDrawOf: draw.count, dtype: DType(rawValue: draw.dtype) ?? .f32) }
        return g
    }

    /// Draws `shape` normals in `dtype` on `device`, recording the draw.
    public mutating func randn(shape: [Int], dtype: DType, device: Device = .cpu) -> Tensor {
        var g = generator()
        let t = g.randn(shape: shape, dtype: dtype, device: device)
        draws.append(Draw(count: shape.reduce(1, *), dtype: dtype.rawValue))
        return t
    }

    static let codec = PortCodec(
        encodingName: "json-noise-stream-v1",
        encode: { payload, path in
            guard let stream = payload as? NoiseStream else { throw CodecError(message: "expected a NoiseStream, got \(type(of: payload))") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            try CodecFiles.write(try encoder.encode(stream), to: path)
        },
        decode: { path in try JSONDecoder().decode(NoiseStream.self, from: try CodecFiles.read(path)) })
}
