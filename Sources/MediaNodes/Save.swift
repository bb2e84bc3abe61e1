import Foundation
import Media
import NodeKit
import ReelflowEngine
import ReelflowGraph
import ReelflowIO
import Tensors

/// Writes a video, an image or a latent: MP4 (H.264, yuv420p), PNG, a PNG sequence or
/// safetensors. Files appear complete or not at all.
enum SaveNode {
    static let video = In.optional(In<Frames>.port("video", PortTypes.video, doc: "A video to save."))
    static let image = In.optional(In<Frames>.port("image", PortTypes.image, doc: "An image to save."))
    static let latent = In.optional(In<Tensor>.port("latent", PortTypes.latent, doc: "A latent to save (safetensors only), e.g. for a later run or a parity check."))
    static let path = In<String>.path("path", mustExist: false, doc: "Where to write, relative to the graph; missing folders are made.")
    static let format = In<String>.choice(
        "format", ["auto", "mp4", "png", "png-sequence", "safetensors"], default: "auto",
        doc: "auto picks from the extension: .mp4, .png, .safetensors; no extension writes a PNG sequence directory.")
    static let fps = In.optional(In<Double>.float("fps", min: 0.001, max: 1000, doc: "Frame rate of an MP4; the video's own rate when left out."))
    static let crf = In<Int>.int("crf", min: 0, max: 51, default: 23, doc: "x264 CRF of an MP4 (lower is better; 23 is x264's default).")
    static let existing = In<String>.choice(
        "existing", ExistingOutputPolicy.allCases.map(\.rawValue), default: ExistingOutputPolicy.number.rawValue,
        doc: "When the file exists: number keeps it and writes name_00001.ext, overwrite replaces it, refuse fails.")
    static let written = Out<String>("path", .path(mustExist: false), doc: "The file or directory written.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "Save", version: 1,
            doc: "Saves a video (MP4 or PNG sequence), an image (PNG) or a latent or video (safetensors); exactly one of video, image, latent.",
            inputs: [video.spec, image.spec, latent.spec, path.spec, format.spec, fps.spec, crf.spec, existing.spec],
            outputs: [written.spec], isOutput: true),
        isStillValid: { outputs in
            guard let path = outputs[written.name] as? String else { return false }
            return FileManager.default.fileExists(atPath: path)
        }
    ) { inputs, _ in
        let given = [try inputs[video], try inputs[image]].compactMap { $0 }
        let latentValue = try inputs[latent]
        guard given.count + (latentValue == nil ? 0 : 1) == 1 else {
            throw NodeInputError(input: "video", message: "connect exactly one of video, image and latent")
        }
        let target = try inputs[path]
        // Missing folders on the way are made (a graph's `../out/edit.mp4` on a fresh checkout).
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw NodeInputError(input: "path", message: "cannot create the folder \(parent.path): \(error.localizedDescription)")
        }
        let policy = ExistingOutputPolicy(rawValue: try inputs[existing]) ?? .number
        var chosen = try inputs[format]
        if chosen == "auto" {
            switch URL(fileURLWithPath: target).pathExtension.lowercased() {
            case "mp4": chosen = "mp4"
            case "png": chosen = "png"
            case "safetensors": chosen = "safetensors"
            case "": chosen = "png-sequence"
            case let other:
                throw NodeInputError(input: "path", message: "cannot tell the format from the extension .\(other); use .mp4, .png, .safetensors, no extension (PNG sequence), or set format")
            }
        }
        if let latentValue {
            guard chosen == "safetensors" else { throw NodeInputError(input: "format", message: "a latent can only be saved as safetensors, not \(chosen)") }
            return .of(written.value(try TensorFileCodec.write([("latent", latentValue)], to: target, policy: policy)))
        }
        let frames = given[0]
        // ltx-core converts to 8 bits in the tensor's dtype: bf16 pixels (a bf16 pipeline) as
        // its pipeline does, float32 pixels in float32.
        let rounding: EightBitRounding = frames.pixels.dtype == .bf16 ? .bfloat16 : .float32
        switch chosen {
        case "mp4":
            let options = VideoSaveOptions(fps: try inputs[fps] ?? frames.fps, crf: try inputs[crf], existing: policy, rounding: rounding)
            return .of(written.value(try MediaWriter.saveVideo(frames.pixels, to: target, options: options)))
        case "png":
            guard frames.frameCount == 1 else {
                throw NodeInputError(input: "format", message: "png holds one frame but the video has \(frames.frameCount); use png-sequence or mp4")
            }
            return .of(written.value(try MediaWriter.saveImage(frames.pixels, to: target, existing: policy, rounding: rounding)))
        case "png-sequence":
            return .of(written.value(try MediaWriter.savePNGSequence(frames.pixels, to: target, existing: policy, rounding: rounding)))
        default:
            return .of(written.value(try TensorFileCodec.write(
                [("pixels", frames.pixels)], metadata: [("fps", "\(try inputs[fps] ?? frames.fps)")], to: target, policy: policy)))
        }
    }
}
