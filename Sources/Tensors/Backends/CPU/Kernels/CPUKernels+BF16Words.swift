internal import CKernels

/// Activations and PixelNorm on bf16 tensors with a bf16 result, in one pass from bf16 words to
/// bf16 words (C kernels: `reelflow_activation_bf16`, `reelflow_bf16_pixel_norm`): the values
/// of widening the whole tensor, computing in float32 (every step rounded where torch's bf16
/// ops round) and rounding, without float32 copies or buffers (a bf16 VAE encode spent a fifth
/// of its time converting and faulting in those copies' pages, and later a quarter in the
/// per-chunk widening and rounding around Swift loops, which are built for SSE2).
extension Tensor {
    /// The piece of a row the broadcast ops widen at a time (`bf16Broadcast`).
    static let bf16Chunk = 4096

    /// `reelflow_activation_f32(kind)` of a bf16 tensor, rounded once to bf16 (one C pass from
    /// words to words: `reelflow_activation_bf16`).
    func cpuUnaryBF16(_ kind: Int32) -> Tensor {
        let n = count
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { raw in
                guard let source = raw.bindMemory(to: UInt16.self).baseAddress, let po = out.baseAddress else { return }
                Tensor.activateWords(kind, n, from: source, to: po)
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// `reelflow_activation_bf16(kind)` over `n` words, spread over threads (`destination` may
    /// be `source`).
    static func activateWords(_ kind: Int32, _ n: Int, from source: UnsafePointer<UInt16>, to destination: UnsafeMutablePointer<UInt16>) {
        parallelFor(n, grain: 1 << 15) { range in
            reelflow_activation_bf16(kind, source + range.lowerBound, destination + range.lowerBound, range.count)
        }
    }
}

extension Tensor {
    /// ltx-core's PixelNorm of a bf16 tensor with every step rounded to bf16 (`BF16Steps`, as
    /// `cpuPixelNorm` does on its widened copy), read from and written to bf16 words in one pass:
    /// bit for bit the widened path's result.
    func cpuPixelNormBF16(eps: Float) -> Tensor {
        require(rank >= 2, "pixelNorm needs [B, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1]
        let spatial = shape[2...].reduce(1, *), n = count
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { raw in
                guard let s = raw.bindMemory(to: UInt16.self).baseAddress, let d = out.baseAddress else { return }
                // One C kernel per block of positions (`reelflow_bf16_pixel_norm`): squares
                // rounded and summed over channels, the mean, `+ eps` and the root rounded, then
                // each quotient rounded into the output.
                Tensor.pixelNormBlocks(batch: batch, spatial: spatial, channels: channels) { base, len, rms, _ in
                    reelflow_bf16_pixel_norm(s + base, d + base, spatial, channels, len, eps, rms)
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }
}
