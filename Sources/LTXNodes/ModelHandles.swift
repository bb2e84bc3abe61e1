import LTX
import Synchronization
import Tensors

/// A checkpoint opened by LoadCheckpoint: the memory-mapped file and its configs. Weights are
/// read on first use and kept for the life of the process (a MODEL value is a handle, never
/// copied into the cache; DESIGN.md).
public final class Checkpoint: Sendable {
    public let file: SafetensorsFile
    public let transformerConfig: TransformerConfig
    public let vaeConfig: VAEConfig?
    /// The dtype weights are held and computed in.
    public let dtype: DType
    /// Where weights live and the model computes (the run's `device` setting).
    public let device: Device
    private let loaded = Mutex<Loaded>(Loaded())

    struct Loaded {
        var base: TransformerWeights?
        /// The last fused variant (stacks are keyed by path and strength); one at a time, so
        /// memory holds at most the base and one fused copy.
        var fused: (key: String, weights: TransformerWeights)?
        var encoder: VideoEncoder?
        var decoder: VideoDecoder?
    }

    public init(path: String, dtype: DType, device: Device = .cpu) throws {
        file = try SafetensorsFile(path: path)
        transformerConfig = try TransformerConfig(file: file)
        vaeConfig = try LTXComponent.videoEncoder.config(in: file) == nil ? nil : VAEConfig(file: file)
        self.dtype = dtype
        self.device = device
    }

    public var path: String { file.path }

    /// The base transformer weights (no LoRA).
    func baseWeights() throws -> TransformerWeights {
        try once(\.base) { try TransformerWeights.load(from: file, config: transformerConfig, dtype: dtype, device: device).0 }
    }

    /// The value at `slot`, made by `make` the first time (under the lock, so concurrent nodes
    /// load a component once).
    private func once<T: Sendable>(_ slot: WritableKeyPath<Loaded, T?>, _ make: () throws -> T) throws -> T {
        try loaded.withLock { state in
            if let value = state[keyPath: slot] { return value }
            let value = try make()
            state[keyPath: slot] = value
            return value
        }
    }

    /// Weights with `loras` fused in, as ltx-core's `apply_loras` does.
    func fusedWeights(_ loras: [LoRAUse]) throws -> TransformerWeights {
        let key = loras.map { "\($0.adapter.path)@\($0.strength)" }.joined(separator: "|")
        return try loaded.withLock { state in
            if let fused = state.fused, fused.key == key { return fused.weights }
            state.fused = nil
            let (weights, _) = try TransformerWeights.load(
                from: file, config: transformerConfig, dtype: dtype, device: device, fusing: LoRAUse.stack(loras))
            state.fused = (key, weights)
            return weights
        }
    }

    func vae() throws -> VAEConfig {
        guard let vaeConfig else {
            throw LTXNodeError("\(path) has no VAE config (metadata config[\"vae\"]); a VAE node needs a checkpoint with the VAE in it")
        }
        return vaeConfig
    }

    func encoder() throws -> VideoEncoder {
        let config = try vae()
        return try once(\.encoder) { try VideoEncoder.load(from: file, config: config, dtype: dtype, device: device).0 }
    }

    func decoder() throws -> VideoDecoder {
        let config = try vae()
        return try once(\.decoder) { try VideoDecoder.load(from: file, config: config, dtype: dtype, device: device).0 }
    }

    func statistics() throws -> PerChannelStatistics {
        try PerChannelStatistics(file: file, channels: try vae().latentChannels, dtype: dtype, device: device)
    }
}

/// One LoRA of a stack.
public struct LoRAUse: Sendable {
    public var adapter: LoRAAdapter
    public var strength: Double

    static func stack(_ loras: [LoRAUse]) -> LoRAStack {
        LoRAStack(loras.map { LoRAStack.Entry($0.adapter, strength: Float($0.strength)) })
    }
}

/// What travels on a MODEL edge: a checkpoint and the LoRAs to apply to its transformer.
public struct ModelHandle: Sendable {
    public var checkpoint: Checkpoint
    public var loras: [LoRAUse] = []
    /// Fused into the base weights (ltx-core's way) or applied as extra low-rank products.
    public var fused = false

    public var config: TransformerConfig { checkpoint.transformerConfig }
    public var dtype: DType { checkpoint.dtype }
    public var device: Device { checkpoint.device }

    /// The transformer with this handle's LoRAs. Unfused LoRAs share the base weights, so
    /// switching stacks between stages costs only the small LoRA factors.
    public func transformer() throws -> VideoTransformer {
        if loras.isEmpty { return VideoTransformer(config: config, weights: try checkpoint.baseWeights()) }
        if fused { return VideoTransformer(config: config, weights: try checkpoint.fusedWeights(loras)) }
        let weights = try checkpoint.baseWeights().withUnfusedLoRAs(LoRAUse.stack(loras), config: config, dtype: dtype, device: device)
        return VideoTransformer(config: config, weights: weights)
    }
}

/// What travels on a VAE edge.
public struct VAEHandle: Sendable {
    public var checkpoint: Checkpoint
}

/// What travels on an UPSAMPLER edge.
public struct UpsamplerHandle: Sendable {
    public var upsampler: LatentUpsampler
    public var path: String
    public var device: Device = .cpu
}

/// A node failed for a reason of its own (not a bad input value).
public struct LTXNodeError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
