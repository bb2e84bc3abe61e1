import Dispatch

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
/// raises for other dtypes. Keys without updates, and every key when all strengths are 0,
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
        guard base.dtype == .bf16 || base.dtype == .f8e4m3 else {
            throw WeightFileError(.unsupportedDType, path: base.path, tensor: base.name,
                "is \(base.dtype.rawValue); LoRAs fuse only into BF16 or F8_E4M3 weights, as in ltx-core "
                + "(use unfused LoRA mode for this checkpoint)")
        }
        let pair = updates[0].pair
        guard base.shape == [pair.outFeatures, pair.inFeatures] else {
            throw WeightFileError(.shapeMismatch, path: base.path, tensor: base.name,
                "has shape \(base.shape) but the LoRA update for '\(key)' has shape [\(pair.outFeatures), \(pair.inFeatures)]")
        }
        let count = base.elementCount
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let sum = buffer.baseAddress!
            Self.delta(updates[0], into: sum)
            if updates.count > 1 {
                var scratch = [Float](repeating: 0, count: count)
                scratch.withUnsafeMutableBufferPointer { tmp in
                    for update in updates.dropFirst() {
                        Self.delta(update, into: tmp.baseAddress!)
                        LoRAParallel.forChunks(count) { r in for i in r { sum[i] += tmp[i] } }
                    }
                }
            }
            let roundSum = updates.count > 1
            base.withRawBytes { raw in
                if base.dtype == .bf16 {
                    LoRAParallel.forChunks(count) { r in
                        for i in r {
                            let d = roundSum ? BFloat16.round(sum[i]) : sum[i]
                            let w = BFloat16.float(fromBits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                            sum[i] = BFloat16.round(d + w)
                        }
                    }
                } else {
                    LoRAParallel.forChunks(count) { r in
                        for i in r {
                            let d = roundSum ? BFloat16.round(sum[i]) : sum[i]
                            sum[i] = BFloat16.round(d + Float8.floatFromE4M3(raw[i]))
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: base.shape, scalars: scalars)
    }

    /// The fused weight for `key` as bf16 bit patterns (e.g. to write a fused checkpoint).
    public func fusedBFloat16Bits(for key: String, base: StoredTensor) throws(WeightFileError) -> [UInt16] {
        try fusedWeight(for: key, base: base).scalars.map { BFloat16.bits(from: $0) }
    }

    /// `delta_i = bf16(L(L(B · scale) @ A))` into `destination` (out × in floats).
    private static func delta(_ update: Contribution, into destination: UnsafeMutablePointer<Float>) {
        let pair = update.pair
        let dtype = pair.up.dtype
        let round: (Float) -> Float = switch dtype {
        case .bf16: BFloat16.round
        case .f16: HalfFloat.round
        default: { $0 }
        }
        let a = pair.down.floatTensor()
        let scale = update.scale
        let b = pair.up.floatTensor().scalars.map { round($0 * scale) }
        let (m, n, k) = (pair.outFeatures, pair.inFeatures, pair.rank)
        b.withUnsafeBufferPointer { bp in
            a.withUnsafeBufferPointer { ap in
                LoRAGEMM.multiply(m: m, n: n, k: k, a: bp.baseAddress!, b: ap.baseAddress!, c: destination)
            }
        }
        let count = m * n
        switch dtype {
        case .bf16, .f32:
            LoRAParallel.forChunks(count) { r in for i in r { destination[i] = BFloat16.round(destination[i]) } }
        default:
            LoRAParallel.forChunks(count) { r in
                for i in r { destination[i] = BFloat16.round(HalfFloat.round(destination[i])) }
            }
        }
    }
}

/// Splits elementwise loops over large layers across the cores.
enum LoRAParallel {
    static func forChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        let workers = count >= (1 << 18) ? StoredScalarConversion.activeCores : 1
        if workers == 1 { body(0..<count); return }
        let chunk = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendableClosure(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * chunk, hi = min(count, lo + chunk)
                if lo < hi { box.body(lo..<hi) }
            }
        }
    }
}

/// Lets `concurrentPerform` call a non-`Sendable` closure. Safe here because every caller
/// passes disjoint index ranges and the closure only writes the elements of its range.
private struct UncheckedSendableClosure: @unchecked Sendable {
    let body: (Range<Int>) -> Void
    init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
}
