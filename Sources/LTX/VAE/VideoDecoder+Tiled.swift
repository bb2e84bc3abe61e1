import Foundation
import Tensors

extension VideoDecoder {
    /// The tiles of a latent `[B, C, F', H', W']` for decoding, in ltx-core's order.
    static func decodeTiles(latent shape: [Int], tiling: VAETiling) -> [VAETile] {
        let s = VAEConfig.scaleFactors
        let extents = [shape[2], shape[3], shape[4]]
        let outExtents = [(extents[0] - 1) * s.time + 1, extents[1] * s.height, extents[2] * s.width]
        var intervals = extents.map { AxisIntervals.whole($0) }
        var placements = (0..<3).map { [AxisPlacement(output: 0..<outExtents[$0], mask: nil)] }
        if let t = tiling.temporal {
            let i = AxisIntervals.causalLatents(extents[0], size: t.tileFrames / s.time, overlap: t.overlapFrames / s.time)
            intervals[0] = i
            placements[0] = i.starts.indices.map { k in
                let start = i.starts[k] * s.time, stop = 1 + (i.ends[k] - 1) * s.time
                let left = i.leftRamps[k] == 0 ? 0 : 1 + (i.leftRamps[k] - 1) * s.time
                return AxisPlacement(
                    output: start..<stop,
                    mask: BlendMask.trapezoid(stop - start, left: left, right: i.rightRamps[k] * s.time, leftStartsFromZero: true))
            }
        }
        if let sp = tiling.spatial {
            let long = max(extents[1], extents[2])
            let (size, overlap) = (sp.tilePixels / s.height, sp.overlapPixels / s.height)
            for axis in 1...2 {
                let scaled = (Double(size * extents[axis]) / Double(long)).rounded(.toNearestOrEven)
                let tile = max(max(2, overlap + 1), Int(scaled))
                let i = AxisIntervals.symmetric(extents[axis], size: tile, overlap: overlap)
                intervals[axis] = i
                placements[axis] = i.starts.indices.map { k in
                    let (start, stop) = (i.starts[k] * s.height, i.ends[k] * s.height)
                    return AxisPlacement(
                        output: start..<stop,
                        mask: BlendMask.trapezoid(
                            stop - start, left: i.leftRamps[k] * s.height, right: i.rightRamps[k] * s.height,
                            leftStartsFromZero: false))
                }
            }
        }
        return VAETile.product(intervals, placements)
    }

    /// Decodes tile by tile with ltx-core's overlap blending (`tiled_decode`), handing each
    /// finished run of frames to `chunk` as soon as no later tile touches it, so memory is
    /// bounded by one temporal group of tiles, not the whole video. Random draws come from
    /// `noise` tile after tile, in ltx-core's order.
    public func decodeTiled(
        _ latent: Tensor, tiling: VAETiling, timestep: Float = decodeTimestep, noise: inout VAENoise,
        chunk: (Tensor) throws -> Void
    ) throws {
        try checkLatent(latent.shape)
        let s = VAEConfig.scaleFactors
        let (b, dtype, device) = (latent.shape[0], latent.dtype, latent.device)
        let (height, width) = (latent.shape[3] * s.height, latent.shape[4] * s.width)
        let tiles = Self.decodeTiles(latent: latent.shape, tiling: tiling)
        var groups: [[VAETile]] = []
        for tile in tiles {
            if let last = groups.last?.first, last.output[0] == tile.output[0] { groups[groups.count - 1].append(tile) } else { groups.append([tile]) }
        }
        // The weighted sums of frames a later group also covers, carried into it (only those
        // frames: the rest of a group is handed on as soon as the group is done).
        var carried: (buffer: Tensor, weights: Tensor)?
        for (index, group) in groups.enumerated() {
            let frames = group[0].output[0]
            var buffer = Tensor(zeros: [b, config.outChannels, frames.count, height, width], dtype: dtype, device: device)
            var weights = Tensor(zeros: [1, 1, frames.count, height, width], dtype: dtype, device: device)
            for tile in group {
                var part = latent
                for axis in 0..<3 { part = part.sliced(axis: axis + 2, tile.input[axis]) }
                let decoded = try decode(part, timestep: timestep, noise: &noise)
                let offset = tile.output[0].lowerBound - frames.lowerBound
                let length = min(tile.output[0].count, decoded.shape[2], frames.count - offset)
                let extents = [length, tile.output[1].count, tile.output[2].count]
                let mask = tile.blendMask([tile.output[0].count, extents[1], extents[2]], dtype: dtype, device: device)
                    .sliced(axis: 2, 0..<length)
                let origin = [0, 0, offset, tile.output[1].lowerBound, tile.output[2].lowerBound]
                buffer.addRegion(decoded.sliced(axis: 2, 0..<length) * mask, at: origin)
                weights.addRegion(mask, at: origin)
            }
            // Earlier groups' sums over this group's first frames: current + earlier is the
            // same float sum as ltx-core's earlier + current (addition commutes exactly).
            if let (earlierBuffer, earlierWeights) = carried {
                let overlap = min(earlierBuffer.shape[2], frames.count)
                buffer.addRegion(earlierBuffer.sliced(axis: 2, 0..<overlap), at: [0, 0, 0, 0, 0])
                weights.addRegion(earlierWeights.sliced(axis: 2, 0..<overlap), at: [0, 0, 0, 0, 0])
            }
            // Frames before the next group's first are final.
            let next = index + 1 < groups.count ? groups[index + 1][0].output[0].lowerBound : frames.upperBound
            let ready = max(0, min(frames.count, next - frames.lowerBound))
            // ltx-core yields an empty chunk when two temporal tiles start at the same frame; skip it.
            if ready > 0 {
                try chunk(buffer.sliced(axis: 2, 0..<ready) / weights.sliced(axis: 2, 0..<ready).clamped(min: 1e-8))
            }
            carried = ready < frames.count
                ? (buffer.sliced(axis: 2, ready..<frames.count), weights.sliced(axis: 2, ready..<frames.count)) : nil
        }
    }

    /// `decodeTiled` with the chunks joined along time.
    public func decodeTiled(_ latent: Tensor, tiling: VAETiling, timestep: Float = decodeTimestep, noise: inout VAENoise) throws -> Tensor {
        var chunks: [Tensor] = []
        try decodeTiled(latent, tiling: tiling, timestep: timestep, noise: &noise) { chunks.append($0) }
        return chunks.count == 1 ? chunks[0] : Tensor.concatenated(chunks, axis: 2)
    }
}
