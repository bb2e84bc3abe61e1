import Media
import NodeKit
import ReelflowEngine
import ReelflowGraph

/// Loads an image as ltx-pipelines' `load_image_conditioning` does: the H.264 CRF round trip
/// (CRF 33 by default), resize to cover, centre crop, [-1, 1].
enum LoadImageNode {
    static let path = In<String>.path("path", mustExist: true, doc: "The image file (PNG, JPEG, WebP, ...), relative to the graph.")
    static let width = In.optional(In<Int>.int("width", min: 1, max: MediaLimits.maxSide, doc: "Output width; with height, resize and centre-crop to this size."))
    static let height = In.optional(In<Int>.int("height", min: 1, max: MediaLimits.maxSide, doc: "Output height."))
    static let crf = In<Int>.int("crf", min: 0, max: 51, default: 33, doc: "CRF of the H.264 round trip ltx-pipelines applies to conditioning images; 0 turns it off.")
    static let image = Out<Frames>("image", PortTypes.image, doc: "[1, 3, 1, H, W] RGB in [-1, 1].")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadImage", version: 1,
            doc: "Loads an image (an edited frame, a mask) with ltx-pipelines' CRF round trip, resize, crop and normalisation.",
            inputs: [path.spec, width.spec, height.spec, crf.spec],
            outputs: [image.spec])
    ) { inputs, _ in
        let options = ImageLoadOptions(size: try MediaNodes.size(width: try inputs[width], height: try inputs[height]), crf: try inputs[crf])
        let decoded = try MediaLoader.loadImage(path: try inputs[path], options: options)
        return .of(image.value(Frames(pixels: decoded.pixels, fps: 24)))
    }
}
