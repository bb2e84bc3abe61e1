import Foundation
import ReelflowEngine
import ReelflowIO
import Tensors

/// Cache codecs that store tensors as safetensors blobs. A decoded tensor is a view of the
/// memory-mapped blob (cache blobs are immutable; unlinking a mapped file is safe on Linux).
public enum TensorFileCodec {
    /// Writes named tensors (bf16 and f16 as they are, everything else as float32) and string
    /// metadata to `path`, atomically.
    /// - Returns: the path written (another one under `.number` when `path` exists).
    @discardableResult
    public static func write(
        _ tensors: [(String, Tensor)], metadata: [(key: String, value: String)] = [], to path: String,
        policy: ExistingOutputPolicy = .overwrite
    ) throws -> String {
        var writer = SafetensorsWriter(metadata: metadata)
        for (name, tensor) in tensors {
            let dtype: DType = tensor.dtype == .bf16 || tensor.dtype == .f16 ? tensor.dtype : .f32
            try writer.add(name, tensor.to(device: .cpu), as: dtype)
        }
        return try writer.write(to: URL(fileURLWithPath: path), policy: policy).path
    }

    /// The tensor named `name` in the blob at `path`, in its stored dtype.
    public static func tensor(_ name: String, in file: SafetensorsFile) throws -> Tensor {
        guard let stored = file[name] else { throw CodecError(message: "cached blob \(file.path) has no tensor \(name)") }
        return stored.tensor()
    }

    /// The metadata value `key` of `file`.
    public static func metadata(_ key: String, in file: SafetensorsFile) throws -> String {
        guard let value = file.metadata.first(where: { $0.key == key })?.value else {
            throw CodecError(message: "cached blob \(file.path) has no metadata \(key)")
        }
        return value
    }

    /// A `Tensor` payload (LATENT, TENSOR).
    public static let tensor = PortCodec(
        encodingName: "safetensors-tensor-v1",
        encode: { payload, path in
            guard let t = payload as? Tensor else { throw CodecError(message: "expected a Tensor payload, got \(type(of: payload))") }
            try write([("tensor", t)], to: path)
        },
        decode: { path in try tensor("tensor", in: try SafetensorsFile(path: path)) })

    /// A `Frames` payload (VIDEO, IMAGE).
    public static let frames = PortCodec(
        encodingName: "safetensors-frames-v1",
        encode: { payload, path in
            guard let f = payload as? Frames else { throw CodecError(message: "expected Frames, got \(type(of: payload))") }
            try write([("pixels", f.pixels)], metadata: [("fps", "\(f.fps)")], to: path)
        },
        decode: { path in
            let file = try SafetensorsFile(path: path)
            guard let fps = Double(try metadata("fps", in: file)) else { throw CodecError(message: "bad fps in \(path)") }
            return Frames(pixels: try tensor("pixels", in: file), fps: fps)
        })

    /// Registers the codecs of the tensor and media port types.
    public static func register(into registry: inout NodeRegistry) {
        registry.register(codec: tensor, for: "LATENT")
        registry.register(codec: tensor, for: "TENSOR")
        registry.register(codec: frames, for: "VIDEO")
        registry.register(codec: frames, for: "IMAGE")
    }
}
