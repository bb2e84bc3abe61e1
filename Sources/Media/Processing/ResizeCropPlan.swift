internal import CKernels
import Foundation
import Tensors

/// Resize with aspect ratio preserved (the target is filled), then centre-crop, exactly as
/// ltx-pipelines' `resize_and_center_crop` does (`ltx_pipelines/utils/media_io.py`):
///
/// - `scale = max(h / srcH, w / srcW)` in double precision, `new = ceil(src * scale)` per axis;
/// - `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)` without
///   antialiasing, on float values 0...255;
/// - crop offsets `(newH - h) / 2` and `(newW - w) / 2` (floor).
///
/// Only the cropped window of the resized image is ever computed: each output pixel of a
/// bilinear resize depends on its own coordinates alone, so this gives the same values.
/// Index and weight arithmetic follow PyTorch's CPU kernel (`compute_indices_weights_linear`,
/// float32 `scale = in / out`, `src = scale * (dst + 0.5) - 0.5` clamped at 0, equal sizes
/// copy), so results agree to float rounding (FMA contraction in PyTorch's build may move the
/// last bit).
struct ResizeCropPlan: Sendable, Equatable {
    /// Source taps for one output coordinate: `out = in[i0] * w0 + in[i1] * w1`.
    struct Tap: Sendable, Equatable {
        var i0: Int
        var i1: Int
        var w0: Float
        var w1: Float
    }

    let sourceWidth: Int
    let sourceHeight: Int
    let width: Int
    let height: Int
    /// Taps for each output row (after the crop).
    let rows: [Tap]
    /// True when the resize is the identity and the crop is empty: a pure copy.
    let isIdentity: Bool
    /// The taps of each output column (after the crop), held as the four arrays the C row
    /// kernel takes.
    private let columnFirst: [Int32], columnSecond: [Int32]
    private let columnFirstWeight: [Float], columnSecondWeight: [Float]

    /// Taps for each output column (after the crop).
    var columns: [Tap] {
        (0..<width).map { x in
            Tap(i0: Int(columnFirst[x]), i1: Int(columnSecond[x]), w0: columnFirstWeight[x], w1: columnSecondWeight[x])
        }
    }

    /// - Precondition: all sizes are positive (callers validate user input first).
    init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        require(sourceWidth > 0 && sourceHeight > 0 && width > 0 && height > 0, "resize plan: sizes must be positive, got \(sourceWidth)x\(sourceHeight) -> \(width)x\(height)")
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.width = width
        self.height = height
        let scale = max(Double(height) / Double(sourceHeight), Double(width) / Double(sourceWidth))
        let newH = Int((Double(sourceHeight) * scale).rounded(.up))
        let newW = Int((Double(sourceWidth) * scale).rounded(.up))
        rows = Self.taps(input: sourceHeight, resized: newH, offset: (newH - height) / 2, count: height)
        let columns = Self.taps(input: sourceWidth, resized: newW, offset: (newW - width) / 2, count: width)
        isIdentity = newH == sourceHeight && newW == sourceWidth && width == sourceWidth
            && height == sourceHeight
        columnFirst = columns.map { Int32($0.i0) }
        columnSecond = columns.map { Int32($0.i1) }
        columnFirstWeight = columns.map(\.w0)
        columnSecondWeight = columns.map(\.w1)
    }

    /// PyTorch's `compute_source_index_and_lambda` for one axis, for output indices
    /// `offset ..< offset + count` of a resize from `input` to `resized`.
    private static func taps(input: Int, resized: Int, offset: Int, count: Int) -> [Tap] {
        let ratio = Float(input) / Float(resized)
        return (offset..<(offset + count)).map { o in
            if resized == input { return Tap(i0: o, i1: o, w0: 1, w1: 0) }
            var real = ratio * (Float(o) + 0.5) - 0.5
            if real < 0 { real = 0 }
            let i0 = min(Int(real.rounded(.down)), input - 1)
            let lambda1 = min(max(real - Float(i0), 0), 1)
            let i1 = i0 + (i0 < input - 1 ? 1 : 0)
            return Tap(i0: i0, i1: i1, w0: 1 - lambda1, w1: lambda1)
        }
    }

    /// Resizes and crops packed 8-bit RGB (`sourceWidth * 3` bytes a row) and writes the three
    /// channels, normalised to `v / 127.5 - 1`, into the planes at `red`, `green`, `blue`
    /// (`width * height` floats each, row-major). Rows `rowRange` of the output only, so
    /// callers may split one frame across threads.
    func apply(
        rgb: UnsafePointer<UInt8>, sourceRowBytes: Int,
        red: UnsafeMutablePointer<Float>, green: UnsafeMutablePointer<Float>,
        blue: UnsafeMutablePointer<Float>, rowRange: Range<Int>
    ) {
        if isIdentity {
            // `Float(v) / 127.5 - 1` per byte, sixteen pixels at a time where the CPU can.
            for y in rowRange {
                let o = y * width
                reelflow_rgb24_to_planar_unit(rgb + y * sourceRowBytes, width, red + o, green + o, blue + o)
            }
            return
        }
        // Per output row: the two source rows and their weights; the C kernel does the
        // columns (PyTorch's Interpolate<2> order: rows outermost, no fused multiply-adds).
        columnFirst.withUnsafeBufferPointer { i0 in
            columnSecond.withUnsafeBufferPointer { i1 in
                columnFirstWeight.withUnsafeBufferPointer { w0 in
                    columnSecondWeight.withUnsafeBufferPointer { w1 in
                        for y in rowRange {
                            let ty = rows[y]
                            let o = y * width
                            reelflow_resize_row_rgb8(
                                rgb + ty.i0 * sourceRowBytes, rgb + ty.i1 * sourceRowBytes, 3 * sourceWidth,
                                i0.baseAddress!, i1.baseAddress!, w0.baseAddress!, w1.baseAddress!, width,
                                ty.w0, ty.w1, red + o, green + o, blue + o)
                        }
                    }
                }
            }
        }
    }
}

import Dispatch

extension ResizeCropPlan {
    /// `apply` over all output rows, split in bands over the `TensorThreads` pool.
    func applyInParallel(
        rgb: UnsafePointer<UInt8>, sourceRowBytes: Int,
        red: UnsafeMutablePointer<Float>, green: UnsafeMutablePointer<Float>, blue: UnsafeMutablePointer<Float>
    ) {
        let shared = BandPointers(rgb: rgb, red: red, green: green, blue: blue)
        TensorThreads.parallelFor(height, grain: 32) { rows in
            apply(
                rgb: shared.rgb, sourceRowBytes: sourceRowBytes, red: shared.red, green: shared.green,
                blue: shared.blue, rowRange: rows)
        }
    }
}

/// The buffers of one frame conversion, handed to the worker threads of `applyInParallel`.
/// `@unchecked Sendable` invariant: the source is only read, each band writes a disjoint
/// range of output rows, and `parallelFor` returns only after every band is done, while
/// the caller still holds both buffers.
private struct BandPointers: @unchecked Sendable {
    let rgb: UnsafePointer<UInt8>
    let red: UnsafeMutablePointer<Float>
    let green: UnsafeMutablePointer<Float>
    let blue: UnsafeMutablePointer<Float>
}
