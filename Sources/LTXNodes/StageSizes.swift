import NodeKit
import ReelflowEngine
import ReelflowGraph

/// The sizes of a two-stage graph from one place: the output width, height and frames, the
/// half size of stage 1 and the reference video's size (stage 1 divided by the IC-LoRA's
/// reference downscale factor). Sizes ltx-pipelines would crash on, or silently shorten,
/// are errors that say which sizes work.
enum StageSizesNode {
    static let width = In<Int>.int("width", min: 64, doc: "Output width in pixels: a multiple of 64, and of 64·d with a reference downscale factor d.")
    static let height = In<Int>.int("height", min: 64, doc: "Output height in pixels: a multiple of 64 (64·d with factor d).")
    static let frames = In<Int>.int("frames", min: 1, doc: "Output frames: 8k+1.")
    static let factor = In<Int>.int("reference_downscale_factor", min: 1, default: 1, doc: "The IC-LoRA's factor d (from LoRAStack).")

    static let outWidth = Out<Int>("width", .int(), doc: "The output (stage 2) width.")
    static let outHeight = Out<Int>("height", .int(), doc: "The output (stage 2) height.")
    static let outFrames = Out<Int>("frames", .int(), doc: "The frame count.")
    static let stage1Width = Out<Int>("stage1_width", .int(), doc: "Half the width.")
    static let stage1Height = Out<Int>("stage1_height", .int(), doc: "Half the height.")
    static let referenceWidth = Out<Int>("reference_width", .int(), doc: "The reference video's width: stage-1 width / d.")
    static let referenceHeight = Out<Int>("reference_height", .int(), doc: "The reference video's height: stage-1 height / d.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "StageSizes", version: 1,
            doc: "Checks the output size and frame count and derives the stage-1 and reference sizes from them.",
            inputs: [width.spec, height.spec, frames.spec, factor.spec],
            outputs: [outWidth.spec, outHeight.spec, outFrames.spec, stage1Width.spec, stage1Height.spec, referenceWidth.spec, referenceHeight.spec]),
        checkLiterals: { literals in
            // At load time the factor usually arrives from LoRAStack (an edge): 1 until known.
            func int(_ name: String) -> Int? { if case .int(let v)? = literals[name] { v } else { nil } }
            return problems(width: int("width"), height: int("height"), frames: int("frames"), factor: int("reference_downscale_factor") ?? 1)
        }
    ) { inputs, _ in
        let (w, h, f, d) = (try inputs[width], try inputs[height], try inputs[frames], try inputs[factor])
        if let problem = problems(width: w, height: h, frames: f, factor: d).first {
            throw NodeInputError(input: problem.input, message: problem.message)
        }
        return .of(
            outWidth.value(w), outHeight.value(h), outFrames.value(f), stage1Width.value(w / 2), stage1Height.value(h / 2),
            referenceWidth.value(w / 2 / d), referenceHeight.value(h / 2 / d))
    }

    /// The rules (reading map 1.1 and 1.4): stage 1 is half size and the VAE needs multiples
    /// of 32 there, so the sides are multiples of 64; the reference is stage 1 divided by d
    /// and must be a multiple of 32 too, so 64·d; frames 8k+1.
    static func problems(width: Int?, height: Int?, frames: Int?, factor d: Int) -> [LiteralProblem] {
        var found: [LiteralProblem] = []
        let step = 64 * d
        for (name, value) in [("width", width), ("height", height)] {
            guard let value, value % step != 0 else { continue }
            let lower = value / step * step
            let why = d > 1
                ? "a multiple of \(step) (64 for the half-size stage 1, times the reference downscale factor \(d) so the reference is a multiple of 32)"
                : "a multiple of 64 (stage 1 runs at half size, which the VAE needs in multiples of 32)"
            found.append(LiteralProblem(
                input: name,
                message: "\(name) \(value) must be \(why); the nearest that work are " + (lower > 0 ? "\(lower) and " : "") + "\(lower + step)"))
        }
        if let frames, frames % 8 != 1 {
            let lower = (frames - 1) / 8 * 8 + 1
            found.append(LiteralProblem(
                input: "frames",
                message: "frames \(frames) must be 8k+1 (the VAE compresses time 8x after the first frame); the nearest that work are "
                    + (lower >= 1 ? "\(lower) and " : "") + "\(lower + 8)"))
        }
        return found
    }
}
