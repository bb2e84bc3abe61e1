internal import CKernels
import Tensors

/// Float pixels to 8 bits, the way ltx-core's `convert_to_uint8` does it
/// (`ltx_core/model/video_vae/video_vae.py`):
/// `(((x + 1) / 2).clamp(0, 1) * 255).to(torch.uint8)` on a bf16 tensor. Each elementwise op
/// rounds its result to bf16, and the final cast truncates toward zero: 0.999 becomes 254, not
/// 255. NaN becomes 0 (PyTorch leaves it undefined).
enum EightBit {
    /// ltx-core's conversion on a float32 tensor (a float32 pipeline): the same formula
    /// with float32 rounding, truncated.
    @inlinable
    static func ltxFloat32(_ x: Float) -> UInt8 {
        let b = (x + 1) / 2
        guard !b.isNaN else { return 0 }
        return UInt8(min(max(b, 0), 1) * 255)
    }

    @inlinable
    static func ltx(_ x: Float) -> UInt8 {
        let v = BFloat16.round(x)
        let a = BFloat16.round(v + 1)
        let b = BFloat16.round(a / 2)
        guard !b.isNaN else { return 0 }
        let c = min(max(b, 0), 1)
        let d = BFloat16.round(c * 255)
        return UInt8(d)  // d is in 0...255: truncation is the conversion
    }

    /// Packs frame `f` of a `[1, 3, F, H, W]` (or `[3, F, H, W]`) tensor as 8-bit RGB rows of
    /// `rowBytes` bytes (at least `width * 3`; bytes past `width * 3` in a row are left
    /// alone). Each row goes through `reelflow_pack_rgb8_ltx` (CKernels: AVX2 where the CPU
    /// has it), which gives `ltx` exactly on every value.
    static func packedFrame(
        _ pixels: UnsafeBufferPointer<Float>, frames: Int, frame f: Int, width: Int, height: Int, rowBytes: Int,
        rounding: EightBitRounding = .bfloat16, into out: UnsafeMutablePointer<UInt8>
    ) {
        let plane = width * height
        let r = pixels.baseAddress! + (0 * frames + f) * plane
        let g = pixels.baseAddress! + (1 * frames + f) * plane
        let b = pixels.baseAddress! + (2 * frames + f) * plane
        for y in 0..<height {
            let o = y * width
            switch rounding {
            case .bfloat16:
                reelflow_pack_rgb8_ltx(r + o, g + o, b + o, width, out + y * rowBytes)
            case .float32:
                let row = out + y * rowBytes
                for x in 0..<width {
                    row[3 * x] = ltxFloat32(r[o + x])
                    row[3 * x + 1] = ltxFloat32(g[o + x])
                    row[3 * x + 2] = ltxFloat32(b[o + x])
                }
            }
        }
    }
}

/// Which of ltx-core's two 8-bit conversions a save uses: the bf16 one (ltx-pipelines' bf16
/// pipeline, the default) or the float32 one (a float32 pipeline, as Reelflow's parity runs).
public enum EightBitRounding: String, Sendable, Equatable {
    case bfloat16, float32
}
