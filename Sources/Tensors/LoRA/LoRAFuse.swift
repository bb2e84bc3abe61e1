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
            MappedFile.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            let sum = buffer.baseAddress!
            // `sum` holds the first raw product P; its rounding to a delta is folded into the
            // next pass over it (one pass fewer per layer for a single LoRA).
            var pending = Self.product(updates[0], into: sum)
            if updates.count > 1 {
                var scratch = [Float](unsafeUninitializedCapacity: count) { $1 = count }
                scratch.withUnsafeMutableBufferPointer { tmp in
                    MappedFile.adviseHugePages(UnsafeMutableRawBufferPointer(tmp))
                    let first = pending
                    LoRAParallel.forChunks(count) { r in for i in r { sum[i] = Self.delta(sum[i], first) } }
                    for update in updates.dropFirst() {
                        let rounding = Self.product(update, into: tmp.baseAddress!)
                        LoRAParallel.forChunks(count) { r in for i in r { sum[i] += Self.delta(tmp[i], rounding) } }
                    }
                }
                pending = .sumOfDeltas
            }
            let rounding = pending
            base.withRawBytes { raw in
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
            initialized = count
        }
        return Tensor(shape: base.shape, scalars: scalars)
    }

    /// The fused weight for `key` as bf16 bit patterns (e.g. to write a fused checkpoint).
    public func fusedBFloat16Bits(for key: String, base: StoredTensor) throws(WeightFileError) -> [UInt16] {
        try fusedWeight(for: key, base: base).scalars.map { BFloat16.bits(from: $0) }
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

    /// The raw product `P = L(B · scale) @ A` into `destination` (out × in floats), where
    /// `L` rounds to the LoRA's dtype; the returned rounding turns `P` into `delta_i`.
    private static func product(_ update: Contribution, into destination: UnsafeMutablePointer<Float>) -> DeltaRounding {
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
                BLAS.sgemm(.none, .none, m: m, n: n, k: k, a: bp.baseAddress!, lda: k, b: ap.baseAddress!, ldb: n, c: destination, ldc: n)
            }
        }
        return dtype == .f16 ? .f16ThenBF16 : .bf16
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
