import LTX
import ReelflowEngine
import ReelflowGraph

/// The tiling inputs VAEEncode and VAEDecode share (ltx-core's `TilingConfig`).
enum TilingInputs {
    static let spatialTile = In.optional(In<Int>.int("spatial_tile", min: 64, doc: "Tile width and height in pixels (multiple of 32, at least 64); no spatial tiling when left out."))
    static let spatialOverlap = In<Int>.int("spatial_overlap", min: 0, default: 64, doc: "Spatial overlap in pixels (multiple of 32).")
    static let temporalTile = In.optional(In<Int>.int("temporal_tile", min: 16, doc: "Tile length in frames (multiple of 8, at least 16); no temporal tiling when left out."))
    static let temporalOverlap = In<Int>.int("temporal_overlap", min: 0, default: 24, doc: "Temporal overlap in frames (multiple of 8).")

    static var specs: [InputSpec] { [spatialTile.spec, spatialOverlap.spec, temporalTile.spec, temporalOverlap.spec] }

    /// The tiling asked for, or nil for none. ltx-pipelines' CLI decodes with 512 px / 64 px
    /// and 64 / 24 frame tiles (`TilingConfig.default()`).
    static func tiling(_ inputs: NodeInputs) throws -> VAETiling? {
        let spatial = try inputs[spatialTile].map { ($0, try inputs[spatialOverlap]) }
        let temporal = try inputs[temporalTile].map { ($0, try inputs[temporalOverlap]) }
        if spatial == nil && temporal == nil { return nil }
        return try VAETiling(spatial: spatial, temporal: temporal)
    }
}
