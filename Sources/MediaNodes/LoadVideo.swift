import Media
import NodeKit
import ReelflowEngine
import ReelflowGraph

/// Decodes a video as ltx-pipelines' `load_video_conditioning` does: at most `frames`
/// frames, each resized to cover the target size and centre-cropped, normalised to [-1, 1].
enum LoadVideoNode {
    static let path = In<String>.path("path", mustExist: true, doc: "The video file, relative to the graph.")
    static let width = In.optional(In<Int>.int("width", min: 1, max: MediaLimits.maxSide, doc: "Output width; with height, resize and centre-crop to this size."))
    static let height = In.optional(In<Int>.int("height", min: 1, max: MediaLimits.maxSide, doc: "Output height."))
    static let frames = In.optional(In<Int>.int("frames", min: 1, doc: "At most this many frames (ltx-pipelines' num_frames); all when left out."))
    static let startFrame = In<Int>.int("start_frame", min: 0, default: 0, doc: "Frames skipped at the start.")
    static let frameRule = In<String>.choice(
        "frame_rule", FrameCountRule.allCases.map(\.rawValue), default: FrameCountRule.asDecoded.rawValue,
        doc: "asDecoded keeps every frame (the VAE then keeps the longest 8k+1 prefix); truncateTo8kPlus1 or padTo8kPlus1 make the count 8k+1 here.")
    static let video = Out<Frames>("video", PortTypes.video, doc: "[1, 3, F, H, W] RGB in [-1, 1], with the file's frame rate.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadVideo", version: 1,
            doc: "Loads a video (the reference clip, a mask video) with ltx-pipelines' decode, resize, crop and normalisation.",
            inputs: [path.spec, width.spec, height.spec, frames.spec, startFrame.spec, frameRule.spec],
            outputs: [video.spec])
    ) { inputs, _ in
        let options = VideoLoadOptions(
            size: try MediaNodes.size(width: try inputs[width], height: try inputs[height]),
            startFrame: try inputs[startFrame], frameCap: try inputs[frames],
            frameCountRule: FrameCountRule(rawValue: try inputs[frameRule]) ?? .asDecoded)
        let decoded = try MediaLoader.loadVideo(path: try inputs[path], options: options)
        return .of(video.value(Frames(pixels: decoded.pixels, fps: decoded.fps)))
    }
}
