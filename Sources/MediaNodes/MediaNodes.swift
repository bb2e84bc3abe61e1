import Media
import NodeKit
import ReelflowEngine

/// The media node types: LoadVideo, LoadImage and Save (one file each), on the Media target.
public enum MediaNodes {
    public static let types = [LoadVideoNode.type, LoadImageNode.type, SaveNode.type]

    public static func register(into registry: inout NodeRegistry) {
        TensorFileCodec.register(into: &registry)
        for type in types { registry.register(type) }
    }

    /// Both of width and height, or neither.
    static func size(width: Int?, height: Int?) throws -> PixelSize? {
        switch (width, height) {
        case (nil, nil): return nil
        case (let w?, let h?): return PixelSize(width: w, height: h)
        default: throw NodeInputError(input: width == nil ? "width" : "height", message: "give both width and height, or neither")
        }
    }
}
