internal import CKernels

/// Element-wise ops on bf16 tensors with a bf16 result, in one pass: each chunk of at most
/// `bf16Chunk` elements is widened (exactly) into a small float32 buffer, computed there and
/// rounded once (to nearest even) into the output's words. The values are those of widening the
/// whole tensor, computing in float32 and rounding the result, as the general path does, without
/// its two full float32 copies (a bf16 VAE encode spent a fifth of its time converting and
/// faulting in those copies' pages).
extension Tensor {
    static let bf16Chunk = 4096

    /// `body(count, values)` turns `values` (float32, `count` of them) into the results in
    /// place; the chunks of this bf16 tensor run in parallel. (Ops of two operands go through
    /// `bf16Broadcast`.)
    func bf16Chunked(_ body: (Int, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let n = count
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            withUnsafeHostBytes { raw in
                guard let source = raw.bindMemory(to: UInt16.self).baseAddress, let po = out.baseAddress else { return }
                Tensor.bf16Chunks(n, from: source, to: po, body)
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    /// `reelflow_activation_f32(kind)` of a bf16 tensor, rounded once to bf16.
    func cpuUnaryBF16(_ kind: Int32) -> Tensor {
        bf16Chunked { m, x in reelflow_activation_f32(kind, x, x, m) }
    }

    /// `bf16Chunked` over this tensor's own words: each chunk is widened, computed and rounded
    /// back where it came from (copied first if the storage is shared or mapped). The values
    /// are `bf16Chunked`'s; no second tensor is allocated.
    mutating func bf16ChunkedInPlace(_ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let n = count
        withUnsafeMutableWords { words in
            guard let w = words.baseAddress else { return }
            Tensor.bf16Chunks(n, from: w, to: w, body)
        }
    }

    /// The chunk loop of both: `n` bf16 words from `source`, each chunk widened into a float32
    /// buffer, `body` run on it, rounded into `destination` (which may be `source`).
    private static func bf16Chunks(
        _ n: Int, from source: UnsafePointer<UInt16>, to destination: UnsafeMutablePointer<UInt16>,
        _ body: (Int, UnsafeMutablePointer<Float>) -> Void
    ) {
        parallelFor(n, grain: 1 << 15) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Tensor.bf16Chunk) { buffer in
                let x = buffer.baseAddress!
                var i = range.lowerBound
                while i < range.upperBound {
                    let m = Swift.min(Tensor.bf16Chunk, range.upperBound - i)
                    reelflow_bf16_to_f32(source + i, x, m)
                    body(m, x)
                    reelflow_f32_to_bf16(x, destination + i, m)
                    i += m
                }
            }
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
                // The roundings run as C kernels over the block (16 lanes with AVX-512): the
                // squares rounded as a whole, the quotient rounded by its conversion to bf16
                // (rounding to nearest even twice gives the once-rounded value).
                Tensor.pixelNormBlocks(batch: batch, spatial: spatial, channels: channels) { base, len, rms, y in
                    for j in 0..<len { rms[j] = 0 }
                    for c in 0..<channels {
                        reelflow_bf16_to_f32(s + base + c * spatial, y, len)
                        for j in 0..<len { y[j] *= y[j] }
                        reelflow_round_bf16_f32(y, y, len)
                        for j in 0..<len { rms[j] += y[j] }
                    }
                    for j in 0..<len {
                        rms[j] = BF16Steps.r(BF16Steps.r(BF16Steps.r(rms[j] / Float(channels)) + eps).squareRoot())
                    }
                    for c in 0..<channels {
                        reelflow_bf16_to_f32(s + base + c * spatial, y, len)
                        for j in 0..<len { y[j] /= rms[j] }
                        reelflow_f32_to_bf16(y, d + base + c * spatial, len)
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }
}
