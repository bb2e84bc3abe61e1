import Foundation
import Tensors

/// Tile sizes for tiled VAE encode and decode, with ltx-core's rules: spatial tiles of at
/// least 64 px in steps of 32, temporal tiles of at least 16 frames in steps of 8, overlaps
/// in the same steps and smaller than the tile. `default` is ltx-core 1.0.0's
/// `TilingConfig.default()`: 512 px tiles with 64 px overlap, 64 frames with 24 overlap.
public struct VAETiling: Sendable, Equatable {
    public struct Spatial: Sendable, Equatable {
        public var tilePixels: Int
        public var overlapPixels: Int
    }

    public struct Temporal: Sendable, Equatable {
        public var tileFrames: Int
        public var overlapFrames: Int
    }

    public var spatial: Spatial?
    public var temporal: Temporal?

    public static let `default` = try! VAETiling(spatial: (512, 64), temporal: (64, 24))

    /// - Throws: `VAEError` naming the value that breaks a rule and the rule.
    public init(spatial: (tile: Int, overlap: Int)?, temporal: (tile: Int, overlap: Int)?) throws(VAEError) {
        if let s = spatial {
            guard s.tile >= 64, s.tile % 32 == 0 else { throw VAEError("spatial tile size must be at least 64 px and a multiple of 32, found \(s.tile)") }
            guard s.overlap >= 0, s.overlap % 32 == 0, s.overlap < s.tile else {
                throw VAEError("spatial tile overlap must be a multiple of 32 below the tile size \(s.tile), found \(s.overlap)")
            }
            self.spatial = Spatial(tilePixels: s.tile, overlapPixels: s.overlap)
        }
        if let t = temporal {
            guard t.tile >= 16, t.tile % 8 == 0 else { throw VAEError("temporal tile size must be at least 16 frames and a multiple of 8, found \(t.tile)") }
            guard t.overlap >= 0, t.overlap % 8 == 0, t.overlap < t.tile else {
                throw VAEError("temporal tile overlap must be a multiple of 8 below the tile size \(t.tile), found \(t.overlap)")
            }
            self.temporal = Temporal(tileFrames: t.tile, overlapFrames: t.overlap)
        }
    }
}

/// One axis split into overlapping intervals, with the blend ramp lengths of each (ltx-core's
/// `DimensionIntervals`).
struct AxisIntervals: Equatable {
    var starts: [Int]
    var ends: [Int]
    var leftRamps: [Int]
    var rightRamps: [Int]

    static func whole(_ n: Int) -> AxisIntervals { AxisIntervals(starts: [0], ends: [n], leftRamps: [0], rightRamps: [0]) }

    /// Tiles of `size` overlapping by `overlap`; the last one ends at `n`.
    static func symmetric(_ n: Int, size: Int, overlap: Int) -> AxisIntervals {
        guard n > size else { return whole(n) }
        let amount = (n + size - 2 * overlap - 1) / (size - overlap)
        let starts = (0..<amount).map { $0 * (size - overlap) }
        var ends = starts.map { $0 + size }
        ends[amount - 1] = n
        return AxisIntervals(
            starts: starts, ends: ends, leftRamps: [0] + Array(repeating: overlap, count: amount - 1),
            rightRamps: Array(repeating: overlap, count: amount - 1) + [0])
    }

    /// Latent time for decoding: each later tile starts one latent earlier, its ramp one longer.
    static func causalLatents(_ n: Int, size: Int, overlap: Int) -> AxisIntervals {
        guard n > size else { return whole(n) }
        var i = symmetric(n, size: size, overlap: overlap)
        for k in 1..<i.starts.count {
            i.starts[k] -= 1
            i.leftRamps[k] += 1
        }
        return i
    }

    /// Pixel frames for encoding: each tile but the last reaches one frame further, no right ramps.
    static func encodeFrames(_ n: Int, size: Int, overlap: Int) -> AxisIntervals {
        guard n > size else { return whole(n) }
        var i = symmetric(n, size: size, overlap: overlap)
        for k in 0..<(i.ends.count - 1) { i.ends[k] += 1 }
        i.rightRamps = Array(repeating: 0, count: i.rightRamps.count)
        return i
    }
}

/// Where one tile's result goes along one axis and how it is weighted there.
struct AxisPlacement {
    var output: Range<Int>
    /// nil: weight 1 (the axis is not tiled).
    var mask: [Float]?
}

/// ltx-core's blend masks.
enum BlendMask {
    /// `torch.linspace(a, b, steps)` in float32, computed from both ends as torch does.
    static func linspace(_ a: Float, _ b: Float, _ steps: Int) -> [Float] {
        guard steps > 1 else { return steps == 1 ? [a] : [] }
        let step = (b - a) / Float(steps - 1)
        let half = steps / 2
        return (0..<steps).map { i in i < half ? a + step * Float(i) : b - step * Float(steps - 1 - i) }
    }

    /// Linear ramps in and out (`compute_trapezoidal_mask_1d`).
    static func trapezoid(_ length: Int, left: Int, right: Int, leftStartsFromZero: Bool) -> [Float] {
        let left = max(0, min(left, length)), right = max(0, min(right, length))
        var mask = [Float](repeating: 1, count: length)
        if left > 0 {
            var fade = Array(linspace(0, 1, leftStartsFromZero ? left + 1 : left + 2).dropLast())
            if !leftStartsFromZero { fade.removeFirst() }
            for i in 0..<left { mask[i] *= fade[i] }
        }
        if right > 0 {
            let fade = Array(linspace(1, 0, right + 2).dropFirst().dropLast())
            for i in 0..<right { mask[length - right + i] *= fade[i] }
        }
        return mask.map { min(max($0, 0), 1) }
    }

    /// Zeros at the ends, ones between (`compute_rectangular_mask_1d`).
    static func rectangle(_ length: Int, left: Int, right: Int) -> [Float] {
        var mask = [Float](repeating: 1, count: length)
        for i in 0..<min(max(left, 0), length) { mask[i] = 0 }
        for i in 0..<min(max(right, 0), length) { mask[length - 1 - i] = 0 }
        return mask
    }
}

/// One tile: the box it reads (time, height, width of the input), the box it writes in the
/// output and its per-axis blend masks.
struct VAETile {
    var input: [Range<Int>]
    var output: [Range<Int>]
    var masks: [[Float]?]

    /// The blend mask `[1, 1, t, h, w]` for an output of extents `t, h, w` (axes without a mask
    /// weigh 1), of which the first `frames` frames (all by default). Built on `device` as
    /// the product of three per-axis ramps in float32, `(time · height) · width` per element
    /// as ltx-core multiplies them, then rounded to `dtype`: only the ramps cross from the
    /// host, not the 16M-element mask of a 64x512x512 tile.
    func blendMask(_ extents: [Int], frames: Int? = nil, dtype: DType, device: Device) -> Tensor {
        let m = (0..<3).map { axis in masks[axis] ?? Array(repeating: 1, count: extents[axis]) }
        let t = Array(m[0].prefix(frames ?? extents[0]))
        func ramp(_ values: [Float], axis: Int) -> Tensor {
            var shape = [1, 1, 1, 1, 1]
            shape[axis + 2] = values.count
            return Tensor(shape: shape, scalars: values).to(device: device)
        }
        return (ramp(t, axis: 0) * ramp(m[1], axis: 1) * ramp(m[2], axis: 2)).to(dtype: dtype)
    }

    /// Tiles in ltx-core's order (time outermost, then height, then width) from per-axis
    /// intervals and their placements.
    static func product(_ intervals: [AxisIntervals], _ placements: [[AxisPlacement]]) -> [VAETile] {
        var tiles: [VAETile] = []
        for a in intervals[0].starts.indices {
            for b in intervals[1].starts.indices {
                for c in intervals[2].starts.indices {
                    let picks = [a, b, c]
                    tiles.append(VAETile(
                        input: (0..<3).map { intervals[$0].starts[picks[$0]]..<intervals[$0].ends[picks[$0]] },
                        output: (0..<3).map { placements[$0][picks[$0]].output },
                        masks: (0..<3).map { placements[$0][picks[$0]].mask }))
                }
            }
        }
        return tiles
    }
}
