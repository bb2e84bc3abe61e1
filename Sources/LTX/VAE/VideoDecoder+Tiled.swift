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
    ///
    /// Memory: the weighted sums of one group's frames and one tile's decode; then those sums
    /// and the group's finished frames. The blend weights are not summed into a full-size tensor as ltx-core
    /// does: the tiles form a grid and each mask is a product of per-axis ramps, so the sum of
    /// the masks is the product of per-axis sums (a plane `[H, W]` and one weight per frame),
    /// equal to ltx-core's sum up to float rounding.
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
        // Every group holds the same spatial tiles: the plane of summed spatial weights.
        let plane = Self.spatialWeights(groups[0], height: height, width: width, dtype: dtype, device: device)
        // The weighted sums of frames a later group also covers, carried into it with their
        // per-frame weights (only those frames: the rest of a group is handed on when done).
        var carried: (buffer: Tensor, weights: [Float])?
        for (index, group) in groups.enumerated() {
            let frames = group[0].output[0]
            var buffer = Tensor(zeros: [b, config.outChannels, frames.count, height, width], dtype: dtype, device: device)
            var frameWeights = [Float](repeating: 0, count: frames.count)
            // Earlier groups' sums over this group's first frames go in first, as they lie in
            // ltx-core's whole-video buffer before this group's tiles are added (the same
            // float sums), and are released before any tile is decoded.
            if let (earlierBuffer, earlierWeights) = carried {
                let overlap = min(earlierBuffer.shape[2], frames.count)
                buffer.addRegion(
                    overlap == earlierBuffer.shape[2] ? earlierBuffer : earlierBuffer.sliced(axis: 2, 0..<overlap),
                    at: [0, 0, 0, 0, 0])
                for f in 0..<overlap { frameWeights[f] += earlierWeights[f] }
                carried = nil
            }
            let timeMask = group[0].masks[0] ?? Array(repeating: 1, count: frames.count)
            for tile in group {
                var part = latent
                for axis in 0..<3 { part = part.sliced(axis: axis + 2, tile.input[axis]) }
                let decoded = try decode(part, timestep: timestep, noise: &noise)
                let offset = tile.output[0].lowerBound - frames.lowerBound
                let length = min(tile.output[0].count, decoded.shape[2], frames.count - offset)
                let extents = [length, tile.output[1].count, tile.output[2].count]
                let mask = tile.blendMask([tile.output[0].count, extents[1], extents[2]], frames: length, dtype: dtype, device: device)
                let origin = [0, 0, offset, tile.output[1].lowerBound, tile.output[2].lowerBound]
                let visible = length == decoded.shape[2] ? decoded : decoded.sliced(axis: 2, 0..<length)
                buffer.addRegion(visible * mask, at: origin)
                if tile.output[1].lowerBound == 0 && tile.output[2].lowerBound == 0 {
                    for f in 0..<length { frameWeights[offset + f] += timeMask[f] }
                }
            }
            // Frames before the next group's first are final.
            let next = index + 1 < groups.count ? groups[index + 1][0].output[0].lowerBound : frames.upperBound
            let ready = max(0, min(frames.count, next - frames.lowerBound))
            if ready < frames.count {
                carried = (buffer.sliced(axis: 2, ready..<frames.count), Array(frameWeights[ready...]))
            }
            // ltx-core yields an empty chunk when two temporal tiles start at the same frame; skip it.
            guard ready > 0 else { continue }
            // The finished frames, divided a few frames at a time into the chunk, so the group's
            // sums, the chunk and one small slice are all that is held.
            var finished = Tensor(zeros: [b, config.outChannels, ready, height, width], dtype: dtype, device: device)
            let step = 4
            for f0 in stride(from: 0, to: ready, by: step) {
                let f1 = min(ready, f0 + step)
                let perFrame = Tensor(shape: [1, 1, f1 - f0, 1, 1], scalars: frameWeights[f0..<f1].map { max($0, 1e-8) })
                    .to(dtype: dtype).to(device: device)
                finished.addRegion(buffer.sliced(axis: 2, f0..<f1) / (plane * perFrame), at: [0, 0, f0, 0, 0])
            }
            buffer = Tensor(zeros: [0])
            try chunk(finished)
        }
    }

    /// The sum of the tiles' spatial blend masks over the output plane, `[1, 1, 1, H, W]`
    /// (clamped at 1e-8 as ltx-core clamps its weights): the height ramps summed, times the
    /// width ramps summed.
    static func spatialWeights(_ group: [VAETile], height: Int, width: Int, dtype: DType, device: Device) -> Tensor {
        var rows = [Float](repeating: 0, count: height), columns = [Float](repeating: 0, count: width)
        var seenRows = Set<Int>(), seenColumns = Set<Int>()
        for tile in group {
            let (r, c) = (tile.output[1], tile.output[2])
            if seenRows.insert(r.lowerBound).inserted {
                for (i, y) in r.enumerated() { rows[y] += tile.masks[1]?[i] ?? 1 }
            }
            if seenColumns.insert(c.lowerBound).inserted {
                for (i, x) in c.enumerated() { columns[x] += tile.masks[2]?[i] ?? 1 }
            }
        }
        let plane = Tensor(shape: [1, 1, 1, height, 1], scalars: rows).to(device: device)
            * Tensor(shape: [1, 1, 1, 1, width], scalars: columns).to(device: device)
        return plane.clamped(min: 1e-8).to(dtype: dtype)
    }

    /// `decodeTiled` with the chunks joined along time.
    public func decodeTiled(_ latent: Tensor, tiling: VAETiling, timestep: Float = decodeTimestep, noise: inout VAENoise) throws -> Tensor {
        var chunks: [Tensor] = []
        try decodeTiled(latent, tiling: tiling, timestep: timestep, noise: &noise) { chunks.append($0) }
        return chunks.count == 1 ? chunks[0] : Tensor.concatenated(chunks, axis: 2)
    }
}
