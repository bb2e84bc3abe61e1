import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// One sampling stage, as ltx-pipelines runs it: the initial state (zeros, or a given latent
/// such as the upscaled stage-1 result), the conditioning items in order, Gaussian noise
/// scaled by `noise_scale`, the Euler loop over the sigmas, then the appended tokens removed.
enum SamplerNode {
    static let model = In<ModelHandle>.port("model", PortTypes.model, doc: "The transformer with this stage's LoRAs.")
    static let conditioning = In<Conditioning>.port("conditioning", PortTypes.conditioning, doc: "Prompt context and conditioning items.")
    static let width = In.optional(In<Int>.int("width", min: 32, doc: "Output width in pixels (a multiple of 32); not needed with latent."))
    static let height = In.optional(In<Int>.int("height", min: 32, doc: "Output height in pixels (a multiple of 32); not needed with latent."))
    static let frames = In.optional(In<Int>.int("frames", min: 1, doc: "Output frames (8k+1); not needed with latent."))
    static let initial = In.optional(In<Tensor>.port("latent", PortTypes.latent, doc: "The initial latent (stage 2: the upscaled stage-1 result); zeros when left out."))
    static let fps = In<Double>.float("fps", min: 0.001, max: 1000, default: 24, doc: "Frame rate: time positions are in seconds.")
    static let schedule = In<String>.choice(
        "schedule", Array(DistilledSchedule.named.keys).sorted(), default: "distilled-stage1",
        doc: "A named sigma schedule: the 8-step distilled stage-1 or the 3-step stage-2 schedule of ltx-pipelines.")
    static let sigmas = In.optional(In<[Double]>.floats("sigmas", doc: "Explicit sigmas (descending, ending in 0); wins over schedule."))
    static let seed = In.optional(In<Int>.int("seed", min: 0, doc: "Seed of a new torch-compatible generator for this stage's noise."))
    static let generatorKind = In<String>.choice(
        "generator", NoiseStream.Kind.allCases.map(\.rawValue), default: "cuda",
        doc: "Which torch generator a seed starts: cuda (Philox, ltx-pipelines on a GPU) or cpu (mt19937).")
    static let noiseFrom = In.optional(In<NoiseStream>.port(
        "noise_from", PortTypes.generator, doc: "Continue another sampler's generator (ltx-pipelines shares one generator between its stages)."))
    static let noise = In.optional(In<Tensor>.port("noise", PortTypes.tensor, doc: "Explicit noise [1, T, C] over every token, appended ones included."))
    static let noiseScale = In.optional(In<Double>.float(
        "noise_scale", min: 0, max: 1, doc: "How much noise to mix in; the first sigma when left out (1 for stage 1, 0.909375 for stage 2)."))

    static let latent = Out<Tensor>("latent", PortTypes.latent, doc: "The sampled latent [1, C, F', H', W'], appended tokens removed.")
    static let generator = Out<NoiseStream>("generator", PortTypes.generator, doc: "The generator after this stage's draw, for the next stage's noise_from.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "Sampler", version: 1,
            doc: "Samples one stage with the distilled Euler sampler: initial state, conditioning, noise, Euler steps, strip the appended tokens.",
            inputs: [model.spec, conditioning.spec, width.spec, height.spec, frames.spec, initial.spec, fps.spec, schedule.spec,
                     sigmas.spec, seed.spec, generatorKind.spec, noiseFrom.spec, noise.spec, noiseScale.spec],
            outputs: [latent.spec, generator.spec]),
        checkLiterals: { literals in
            func int(_ name: String) -> Int? { if case .int(let v)? = literals[name] { v } else { nil } }
            return sizeProblems(width: int("width"), height: int("height"), frames: int("frames"))
        }
    ) { inputs, context in
        let handle = try inputs[model]
        let config = handle.config
        let dtype = handle.dtype
        let fpsValue = Float(try inputs[fps])

        // The latent grid: from the initial latent, or from the pixel size.
        let start = try inputs[initial]
        let grid: (f: Int, h: Int, w: Int)
        if let start {
            guard start.rank == 5, start.shape[1] == config.inChannels else {
                throw NodeInputError(input: "latent", message: "expected [1, \(config.inChannels), F, H, W], got \(start.shape)")
            }
            grid = (start.shape[2], start.shape[3], start.shape[4])
        } else {
            guard let w = try inputs[width], let h = try inputs[height], let f = try inputs[frames] else {
                throw NodeInputError(input: "width", message: "give width, height and frames, or an initial latent")
            }
            if let problem = sizeProblems(width: w, height: h, frames: f).first {
                throw NodeInputError(input: problem.input, message: problem.message)
            }
            grid = ((f - 1) / 8 + 1, h / 32, w / 32)
        }

        let sigmaValues: [Float]
        if let explicit = try inputs[sigmas] {
            sigmaValues = explicit.map(Float.init)
            guard sigmaValues.count >= 2, sigmaValues.last == 0, sigmaValues.dropLast().allSatisfy({ $0 > 0 }),
                  zip(sigmaValues, sigmaValues.dropFirst()).allSatisfy({ $0 > $1 }) else {
                throw NodeInputError(input: "sigmas", message: "expected at least two sigmas, strictly descending, positive, ending in 0; got \(explicit)")
            }
        } else {
            sigmaValues = DistilledSchedule.named[try inputs[schedule]]!
        }

        var state = LatentState.initial(
            channels: config.inChannels, frames: grid.f, height: grid.h, width: grid.w, fps: fpsValue, dtype: dtype,
            latent: start?.to(device: handle.device), device: handle.device)
        let noisyTokens = state.latent.shape[1]
        let chain = try inputs[conditioning]
        state = try chain.apply(to: state, frames: grid.f, height: grid.h, width: grid.w, fps: fpsValue)

        // Noise: exactly one source.
        let scale = Float(try inputs[noiseScale] ?? Double(sigmaValues[0]))
        var stream: NoiseStream
        switch (try inputs[noise], try inputs[noiseFrom], try inputs[seed]) {
        case (let eps?, nil, nil):
            guard eps.shape == state.latent.shape else {
                throw NodeInputError(input: "noise", message: "noise of shape \(eps.shape) does not fit the state's tokens \(state.latent.shape) (generated plus appended)")
            }
            state = state.noised(with: eps.to(dtype: dtype).to(device: handle.device), scale: scale)
            stream = NoiseStream(kind: .cpu, seed: 0)
        case (nil, let from?, nil):
            stream = from
            state = state.noised(with: stream.randn(shape: state.latent.shape, dtype: dtype, device: handle.device), scale: scale)
        case (nil, nil, let s?):
            stream = NoiseStream(kind: NoiseStream.Kind(rawValue: try inputs[generatorKind]) ?? .cuda, seed: UInt64(s))
            state = state.noised(with: stream.randn(shape: state.latent.shape, dtype: dtype, device: handle.device), scale: scale)
        default:
            throw NodeInputError(input: "seed", message: "give exactly one noise source: seed, noise_from or noise")
        }

        let transformer = try handle.transformer()
        let promptContext = chain.context.to(dtype: dtype).to(device: handle.device)
        let sampler = EulerSampler(sigmas: sigmaValues)
        context.progress.report(0, of: sampler.steps, "step")
        let done = try sampler.sample(
            state, denoise: { s, sigma in transformer.denoised(s, sigma: sigma, context: promptContext) },
            progress: { context.progress.report($0, of: $1, "step") })
        let cleared = done.clearingConditioning(keeping: noisyTokens)
        let result = Patchify.latent(cleared.latent, frames: grid.f, height: grid.h, width: grid.w)
        return .of(latent.value(result), generator.value(stream))
    }

    /// The pixel sizes the VAE can take: width and height multiples of 32, frames 8k+1; each
    /// problem names the nearest values that work. Checked at load time for literals and again
    /// when the node runs.
    static func sizeProblems(width: Int?, height: Int?, frames: Int?) -> [LiteralProblem] {
        var found: [LiteralProblem] = []
        for (name, value) in [("width", width), ("height", height)] {
            guard let v = value, v % 32 != 0 else { continue }
            found.append(LiteralProblem(
                input: name,
                message: "\(name) \(v) is not a multiple of 32 (the VAE's spatial compression); the nearest that work are \(max(32, v / 32 * 32)) and \(v / 32 * 32 + 32)"))
        }
        if let f = frames, f % 8 != 1 {
            found.append(LiteralProblem(
                input: "frames",
                message: "frames \(f) is not 8k+1; the nearest that work are \(max(1, (f - 1) / 8 * 8 + 1)) and \((f - 1) / 8 * 8 + 9)"))
        }
        return found
    }
}
