/// Fused mode: the base weight with the LoRA updates added, exactly as ltx-core's
/// `apply_loras` computes it (`ltx_core/loader/fuse_loras.py`; reading map 2.4), one key
/// at a time so peak extra memory stays near one layer:
///
/// - per LoRA `i`, in the LoRA's dtype `L`: `Bs = L(B · scale_i)`, `P = L(Bs @ A)` (float32
///   accumulation, one rounding), then `delta_i = bf16(P)`;
/// - several LoRAs: `delta = bf16(Σ delta_i)`, summed in float32 in stack order and rounded
///   once (torch sums a stacked bf16 tensor that way, checked against torch 2.7);
/// - `W' = bf16(delta + W)`.
///
/// The base weight must be BF16 or F8_E4M3 (upcast exactly to bf16), as in ltx-core, which
/// raises for other dtypes; Reelflow also fuses F32 weights (tiny test models), in float32. Keys without updates, and every key when all strengths are 0,
/// return the base weight unchanged.
extension BoundLoRAStack {
    /// The fused weight for `key` as float32 values that are all exact bf16 values.
    /// - Parameters:
    ///   - key: the base key, as passed to `LoRAStack.bind(to:)`.
    ///   - base: the stored base weight for that key.
    /// - Throws: `WeightFileError.unsupportedDType` for a base weight that is not BF16 or
    ///   F8_E4M3, `.shapeMismatch` when it is not the `[out, in]` the LoRA expects.
    public func fusedWeight(for key: String, base: StoredTensor) throws(WeightFileError) -> Tensor {
        guard let updates = contributions[key], !allStrengthsZero else { return base.floatTensor() }
        guard base.dtype == .bf16 || base.dtype == .f8e4m3 || base.dtype == .f32 else {
            throw WeightFileError(.unsupportedDType, path: base.path, tensor: base.name,
                "is \(base.dtype.rawValue); LoRAs fuse only into BF16, F8_E4M3 (as in ltx-core) or F32 weights "
                + "(use unfused LoRA mode for this checkpoint)")
        }
        let pair = updates[0].pair
        guard base.shape == [pair.outFeatures, pair.inFeatures] else {
            throw WeightFileError(.shapeMismatch, path: base.path, tensor: base.name,
                "has shape \(base.shape) but the LoRA update for '\(key)' has shape [\(pair.outFeatures), \(pair.inFeatures)]")
        }
        if base.dtype == .f32 {
            // Float32 weights (test-sized models; ltx-core raises here): W + Σ P in float32,
            // no rounding, which is what ltx-core's formula gives when every tensor is float32.
            var delta = Self.product(updates[0]).0
            for update in updates.dropFirst() { delta = delta + Self.product(update).0 }
            return base.floatTensor() + delta
        }
        let count = base.elementCount
        // `sum` starts as the first raw product P; its rounding to a delta is folded into
        // the next pass over it (one pass fewer per layer for a single LoRA).
        var (sum, pending) = Self.product(updates[0])
        if updates.count > 1 {
            let first = pending
            sum.withUnsafeMutableBufferPointer { s in
                let sum = s.baseAddress!
                LoRAParallel.forChunks(count) { r in for i in r { sum[i] = Self.delta(sum[i], first) } }
            }
            for update in updates.dropFirst() {
                let (p, rounding) = Self.product(update)
                p.withUnsafeBufferPointer { tmp in
                    sum.withUnsafeMutableBufferPointer { s in
                        let sum = s.baseAddress!, tmp = tmp.baseAddress!
                        LoRAParallel.forChunks(count) { r in for i in r { sum[i] += Self.delta(tmp[i], rounding) } }
                    }
                }
            }
            pending = .sumOfDeltas
        }
        let rounding = pending
        base.withRawBytes { raw in
            sum.withUnsafeMutableBufferPointer { s in
                let sum = s.baseAddress!
                if base.dtype == .bf16 {
                    LoRAParallel.forChunks(count) { r in
                        for i in r {
                            let w = BFloat16.float(fromBits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                            sum[i] = BFloat16.round(Self.delta(sum[i], rounding) + w)
                        }
                    }
                } else {
                    LoRAParallel.forChunks(count) { r in
                        for i in r {
                            sum[i] = BFloat16.round(Self.delta(sum[i], rounding) + Float8.floatFromE4M3(raw[i]))
                        }
                    }
                }
            }
        }
        return sum.reshaped(base.shape)
    }

    /// The fused weight for `key` as bf16 bit patterns (e.g. to write a fused checkpoint).
    public func fusedBFloat16Bits(for key: String, base: StoredTensor) throws(WeightFileError) -> [UInt16] {
        try fusedWeight(for: key, base: base).to(dtype: .bf16).withUnsafeHostBytes { Array($0.bindMemory(to: UInt16.self)) }
    }

    /// How a raw value in the accumulator becomes a bf16 delta.
    enum DeltaRounding {
        /// A product of bf16 or f32 factors: `bf16(P)`.
        case bf16
        /// A product of f16 factors: `bf16(f16(P))`.
        case f16ThenBF16
        /// A float32 sum of deltas: `bf16(sum)`.
        case sumOfDeltas
    }

    @inline(__always)
    static func delta(_ value: Float, _ rounding: DeltaRounding) -> Float {
        rounding == .f16ThenBF16 ? BFloat16.round(HalfFloat.round(value)) : BFloat16.round(value)
    }

    /// The raw product `P = L(B · scale) @ A` (out × in, float32 accumulation), where `L`
    /// rounds to the LoRA's dtype; the returned rounding turns `P` into `delta_i`.
    private static func product(_ update: Contribution) -> (Tensor, DeltaRounding) {
        let pair = update.pair
        let dtype = pair.up.dtype
        let round: (Float) -> Float = switch dtype {
        case .bf16: BFloat16.round
        case .f16: HalfFloat.round
        default: { $0 }
        }
        let scale = update.scale
        let a = pair.down.floatTensor()  // [r, in]
        let b = pair.up.floatTensor().map { round($0 * scale) }  // [out, r]
        return (Tensor.matmul(b, a), dtype == .f16 ? .f16ThenBF16 : .bf16)
    }
}

/// Splits elementwise loops over large layers across the `TensorThreads` pool.
enum LoRAParallel {
    static func forChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, grain: 1 << 17, body)
    }
}
