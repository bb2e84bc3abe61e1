internal import CKernels
import Foundation
import Synchronization

/// bf16 operands on Intel AMX (CKernels' `amx_attention.c`): the keys and values of every head
/// are packed once into the tiles' layout, so no tile product packs its operand again, and the
/// score rows are kept a cache line past a power of two apart, so the tiles' stores do not
/// land in the same cache sets (oneDNN's matmul packs per call and keeps rows dense: about
/// twice this time for the scores, 1.2-1.4x for P · V). The
/// products are float32 sums of bf16 products, as oneDNN's kernel and torch's CPU flash kernel
/// compute them; the probabilities are packed to bf16 words for `P · V`, as there.
package struct AMXTileProducts: TileProducts {
    static var packsProbabilitiesToBF16: Bool { true }

    /// Whether bf16 attention may take the AMX kernels (`REELFLOW_AMX=0` turns them off, for
    /// comparing with oneDNN's products in one binary).
    package static var enabled: Bool {
        get { enabledSwitch.withLock { $0 } }
        set { enabledSwitch.withLock { $0 = newValue } }
    }
    private static let enabledSwitch = Mutex(ProcessInfo.processInfo.environment["REELFLOW_AMX"] != "0")

    /// Whether this CPU has AMX and Linux lets this process use it.
    package static var available: Bool { reelflow_amx_bf16_usable() != 0 }

    /// One line for `reelflow devices`: whether bf16 attention runs on AMX tiles, or why not.
    package static var summary: String {
        if !enabled { return "AMX tiles not in use: REELFLOW_AMX=0" }
        return available
            ? "AMX tiles in use (bf16 attention on the CPU)"
            : "AMX tiles not in use: this CPU has no AMX-BF16, or Linux did not grant the tile state"
    }

    /// Whether the AMX kernels take `g` with key blocks of `keyBlock`: they are enabled and
    /// available, heads have 32, 64, 96 or 128 channels, value rows a multiple of 16, and key
    /// blocks start on a 32-key boundary.
    static func canTake(_ g: AttentionGeometry, keyBlock: Int) -> Bool {
        g.headDim > 0 && g.headDim % 32 == 0 && g.headDim <= 128 && g.valueDim > 0 && g.valueDim % 16 == 0
            && (keyBlock % 32 == 0 || keyBlock >= g.keyTokens) && enabled && available
    }

    /// Score rows are `cols` rounded up to 16 (the tiles write whole 16-key blocks) plus one
    /// more block, so rows of a 512-key tile are 2112 bytes apart rather than 2048.
    static func scoreStride(cols: Int) -> Int { (cols + 15) / 16 * 16 + 16 }

    /// bf16 words per row of the probabilities `P · V` reads: `cols` rounded up to 32.
    static func wordStride(cols: Int) -> Int { (cols + 31) / 32 * 32 }

    /// Unmasked tiles hand `accumulatePacked` probabilities already packed to bf16 words (the
    /// exponential writes them: `reelflow_exp_scaled_sum_bf16`).
    static var takesPackedProbabilities: Bool { true }
    static func probabilityStride(cols: Int) -> Int { wordStride(cols: cols) }

    /// Every head's keys and values packed (bf16 words, flat), with `g`'s key and value layouts
    /// set to address them: a key block at token `k0` starts `k0 · headDim` words (`k0 ·
    /// valueDim` for values) into its head.
    static func pack(key: Tensor, value: Tensor, _ g: inout AttentionGeometry) -> (key: Tensor, value: Tensor) {
        let heads = g.batch * g.heads, tokens = g.keyTokens
        let keyWords = reelflow_amx_keys_packed_count(tokens, g.headDim)
        let valueWords = reelflow_amx_values_packed_count(tokens, g.valueDim)
        let (keyLayout, valueLayout, geometry) = (g.key, g.value, g)
        func packed(_ source: Tensor, _ layout: HeadLayout, words: Int, _ body: (UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>) -> Void) -> Tensor {
            let all = [UInt16](unsafeUninitializedCapacity: heads * words) { buffer, count in
                source.withUnsafeHostBytes { raw in
                    let base = raw.baseAddress!.assumingMemoryBound(to: UInt16.self)
                    let out = buffer.baseAddress!
                    parallelFor(heads) { range in
                        for item in range {
                            let b = item / geometry.heads, h = item % geometry.heads
                            body(base + layout.offset(batch: b, head: h), out + item * words)
                        }
                    }
                }
                count = heads * words
            }
            return Tensor(shape: [all.count], dtype: .bf16, storage: HostStorage(words: all))
        }
        let k = packed(key, keyLayout, words: keyWords) { source, out in
            reelflow_amx_pack_keys(source, keyLayout.rowStride, tokens, geometry.headDim, out)
        }
        let v = packed(value, valueLayout, words: valueWords) { source, out in
            reelflow_amx_pack_values(source, valueLayout.rowStride, tokens, geometry.valueDim, out)
        }
        g.key = HeadLayout(batchStride: g.heads * keyWords, headStride: keyWords, rowStride: g.headDim)
        g.value = HeadLayout(batchStride: g.heads * valueWords, headStride: valueWords, rowStride: g.valueDim)
        return (k, v)
    }

    func scores(
        _ q: UnsafeRawPointer, ldq: Int, _ k: UnsafeRawPointer, ldk: Int, rows: Int, cols: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>, lds: Int
    ) {
        reelflow_amx_scores(
            q.assumingMemoryBound(to: UInt16.self), ldq, rows, depth, k.assumingMemoryBound(to: UInt16.self), cols,
            scores, lds)
        if scale != 1 {
            for i in 0..<rows { FastMath.scale(scores + i * lds, cols, by: scale) }
        }
    }

    func accumulate(
        _ p: UnsafeMutablePointer<Float>, lds: Int, _ v: UnsafeRawPointer, ldv: Int, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        let ldp = AMXTileProducts.wordStride(cols: cols)
        let words = UnsafeMutableRawPointer(scratch).assumingMemoryBound(to: UInt16.self)
        for i in 0..<rows {
            let row = words + i * ldp
            reelflow_f32_to_bf16(p + i * lds, row, cols)
            (row + cols).update(repeating: 0, count: ldp - cols)
        }
        accumulatePacked(
            words, ldp: ldp, v, rows: rows, cols: cols, width: width, into: o, ldo: ldo, overwrite: overwrite,
            scratch: scratch + (rows * ldp + 1) / 2)
    }

    /// `o (+)= P · V` for probabilities already packed (`ldp` words apart, zero past `cols`);
    /// `scratch` holds the `rows · width` float32 product.
    func accumulatePacked(
        _ words: UnsafePointer<UInt16>, ldp: Int, _ v: UnsafeRawPointer, rows: Int, cols: Int, width: Int,
        into o: UnsafeMutablePointer<Float>, ldo: Int, overwrite: Bool, scratch product: UnsafeMutablePointer<Float>
    ) {
        reelflow_amx_values(words, ldp, rows, cols, v.assumingMemoryBound(to: UInt16.self), width, product, width)
        AttentionKernel.addProduct(product, rows: rows, width: width, into: o, ldo: ldo, overwrite: overwrite)
    }
}
