import Foundation
import LTX
import NodeKit
import ReelflowEngine
import Tensors

/// What travels on a CONDITIONING edge: the prompt context and the conditioning items a
/// sampler applies to its state, in order (each Condition node appends one).
public struct Conditioning: Sendable {
    public enum Item: Sendable {
        case latentIndex(ConditionByLatentIndex)
        case reference(ConditionByReferenceLatent)
        case keyframe(ConditionByKeyframe)
        case mask(ConditionByMask)
    }

    /// `[1, S, W]`.
    public var context: Tensor
    public var items: [Item] = []

    public init(context: Tensor, items: [Item] = []) {
        self.context = context
        self.items = items
    }

    public func appending(_ item: Item) -> Conditioning {
        var out = self
        out.items.append(item)
        return out
    }

    /// The state with every item applied, in order.
    func apply(to initial: LatentState, frames: Int, height: Int, width: Int, fps: Float) throws -> LatentState {
        var state = initial
        let noisy = initial.latent.shape[1]
        for item in items {
            switch item {
            case .latentIndex(let i): state = try i.apply(to: state, frames: frames, height: height, width: width)
            case .reference(let r): state = try r.apply(to: state, noisyTokens: noisy, fps: fps)
            case .keyframe(let k): state = try k.apply(to: state, noisyTokens: noisy, fps: fps)
            case .mask(let m): state = try m.apply(to: state, noisyTokens: noisy)
            }
        }
        return state
    }

    // MARK: Cache codec: a safetensors blob, items described in its metadata

    private struct ItemRecord: Codable {
        var kind: String
        var strength: Double
        var latentIndex: Int?
        var downscaleFactor: Int?
        var pixelFrame: Int?
        var attentionScalar: Double?
        var attentionPerToken: Bool?
    }

    static let codec = PortCodec(
        encodingName: "safetensors-conditioning-v1",
        encode: { payload, path in
            guard let c = payload as? Conditioning else { throw CodecError(message: "expected Conditioning, got \(type(of: payload))") }
            var tensors: [(String, Tensor)] = [("context", c.context)]
            var records: [ItemRecord] = []
            for (i, item) in c.items.enumerated() {
                switch item {
                case .latentIndex(let x):
                    tensors.append(("item.\(i).latent", x.latent))
                    records.append(ItemRecord(kind: "latentIndex", strength: x.strength, latentIndex: x.latentIndex))
                case .reference(let x):
                    tensors.append(("item.\(i).latent", x.latent))
                    var r = ItemRecord(kind: "reference", strength: x.strength, downscaleFactor: x.downscaleFactor)
                    switch x.attention {
                    case .scalar(let w)?: r.attentionScalar = w
                    case .perToken(let t)?: r.attentionPerToken = true; tensors.append(("item.\(i).attention", t))
                    case nil: break
                    }
                    records.append(r)
                case .keyframe(let x):
                    tensors.append(("item.\(i).latent", x.latent))
                    records.append(ItemRecord(kind: "keyframe", strength: x.strength, pixelFrame: x.pixelFrame))
                case .mask(let x):
                    tensors.append(("item.\(i).latent", x.source))
                    tensors.append(("item.\(i).keep", x.keep))
                    records.append(ItemRecord(kind: "mask", strength: x.strength))
                }
            }
            let json = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
            try TensorFileCodec.write(tensors, metadata: [("items", json)], to: path)
        },
        decode: { path in
            let file = try SafetensorsFile(path: path)
            let records = try JSONDecoder().decode([ItemRecord].self, from: Data(try TensorFileCodec.metadata("items", in: file).utf8))
            var c = Conditioning(context: try TensorFileCodec.tensor("context", in: file))
            for (i, r) in records.enumerated() {
                let latent = try TensorFileCodec.tensor("item.\(i).latent", in: file)
                switch r.kind {
                case "latentIndex":
                    c.items.append(.latentIndex(ConditionByLatentIndex(latent: latent, strength: r.strength, latentIndex: r.latentIndex ?? 0)))
                case "reference":
                    let attention: AttentionStrength? = r.attentionPerToken == true
                        ? .perToken(try TensorFileCodec.tensor("item.\(i).attention", in: file))
                        : r.attentionScalar.map { .scalar($0) }
                    c.items.append(.reference(ConditionByReferenceLatent(latent: latent, downscaleFactor: r.downscaleFactor ?? 1, strength: r.strength, attention: attention)))
                case "keyframe":
                    c.items.append(.keyframe(ConditionByKeyframe(latent: latent, pixelFrame: r.pixelFrame ?? 0, strength: r.strength)))
                case "mask":
                    c.items.append(.mask(ConditionByMask(source: latent, keep: try TensorFileCodec.tensor("item.\(i).keep", in: file), strength: r.strength)))
                default:
                    throw CodecError(message: "cached conditioning \(path) has an unknown item kind \(r.kind)")
                }
            }
            return c
        })
}
