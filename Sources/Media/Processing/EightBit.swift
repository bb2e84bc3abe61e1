internal import CKernels
import Tensors

/// Float pixels to 8 bits, the way ltx-core's `convert_to_uint8` does it
/// (`ltx_core/model/video_vae/video_vae.py`):
/// `(((x + 1) / 2).clamp(0, 1) * 255).to(torch.uint8)` on a bf16 tensor. Each elementwise op
/// rounds its result to bf16, and the final cast truncates toward zero: 0.999 becomes 254, not
/// 255. NaN becomes 0 (PyTorch leaves it undefined).
enum EightBit {
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
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let plane = width * height
        let r = pixels.baseAddress! + (0 * frames + f) * plane
        let g = pixels.baseAddress! + (1 * frames + f) * plane
        let b = pixels.baseAddress! + (2 * frames + f) * plane
        for y in 0..<height {
            let o = y * width
            reelflow_pack_rgb8_ltx(r + o, g + o, b + o, width, out + y * rowBytes)
        }
    }
}
