import Tensors

extension VideoEncoder {
    /// ltx-core's minimum overlaps for tiled encoding (smaller ones are raised to these).
    static let minimumSpatialOverlap = 64, minimumTemporalOverlap = 16

    /// The tiles of a video `[B, 3, F, H, W]` (F already 8k+1) for encoding, in ltx-core's order.
    static func encodeTiles(video shape: [Int], latent: [Int], tiling: VAETiling) -> [VAETile] {
        let s = VAEConfig.scaleFactors
        let extents = [shape[2], shape[3], shape[4]]
        var intervals = extents.map { AxisIntervals.whole($0) }
        var placements = (0..<3).map { [AxisPlacement(output: 0..<latent[$0 + 2], mask: nil)] }
        if let t = tiling.temporal {
            let i = AxisIntervals.encodeFrames(
                extents[0], size: t.tileFrames, overlap: max(t.overlapFrames, minimumTemporalOverlap))
            intervals[0] = i
            placements[0] = i.starts.indices.map { k in
                let start = i.starts[k] / s.time, stop = (i.ends[k] - 1) / s.time + 1
                let left = i.leftRamps[k] == 0 ? 0 : 1 + (i.leftRamps[k] - 1) / s.time
                return AxisPlacement(output: start..<stop, mask: BlendMask.rectangle(stop - start, left: left, right: 0))
            }
        }
        if let sp = tiling.spatial {
            for axis in 1...2 {
                let i = AxisIntervals.symmetric(
                    extents[axis], size: sp.tilePixels, overlap: max(sp.overlapPixels, minimumSpatialOverlap))
                intervals[axis] = i
                placements[axis] = i.starts.indices.map { k in
                    let (start, stop) = (i.starts[k] / s.height, i.ends[k] / s.height)
                    return AxisPlacement(
                        output: start..<stop,
                        mask: BlendMask.rectangle(
                            stop - start, left: max(0, i.leftRamps[k] / s.height - 1), right: i.rightRamps[k] == 0 ? 0 : 1))
                }
            }
        }
        return VAETile.product(intervals, placements)
    }

    /// Encodes tile by tile (ltx-core's `tiled_encode`): each tile's latent is weighted by a
    /// mask that drops the latents next to an inner tile edge (where padding, not the
    /// neighbouring pixels, was seen), and the weighted latents are averaged.
    public func encodeTiled(_ video: Tensor, tiling: VAETiling) throws(VAEError) -> Tensor {
        let latentShape = try latentShape(ofVideo: video.shape)
        let frames = (latentShape[2] - 1) * VAEConfig.scaleFactors.time + 1
        let x = video.shape[2] == frames ? video : video.sliced(axis: 2, 0..<frames)
        let (dtype, device) = (video.dtype, video.device)
        var sum = Tensor(zeros: latentShape, dtype: dtype, device: device)
        var weights = Tensor(zeros: [1, 1] + Array(latentShape[2...]), dtype: dtype, device: device)
        for tile in Self.encodeTiles(video: x.shape, latent: latentShape, tiling: tiling) {
            var part = x
            for axis in 0..<3 { part = part.sliced(axis: axis + 2, tile.input[axis]) }
            let encoded = try encode(part)
            let extents = tile.output.map(\.count)
            guard Array(encoded.shape[2...]) == extents else {
                throw VAEError("a tile of \(part.shape) encoded to \(encoded.shape), expected \(extents); choose tile sizes that are multiples of 32 px and 8k+1 frames")
            }
            let mask = tile.blendMask(extents, dtype: dtype, device: device)
            let origin = [0, 0] + tile.output.map(\.lowerBound)
            sum.addRegion(encoded * mask, at: origin)
            weights.addRegion(mask, at: origin)
        }
        return sum / weights.clamped(min: 1e-8)
    }
}
