import Foundation
import Testing

/// Sizes ltx-pipelines would crash on (or silently shorten) are errors that say why and
/// which sizes work: at validation when they are known then, else before any model runs.
@Suite struct SizeValidationTests {
    @Test func badSizesAreValidationErrorsNamingTheSizesThatWork() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = try cli.write("ic.yaml", try Pipeline.graph("ic-lora-distilled.yaml"))
        let result = try cli.run(["validate", graph, "--presets", Pipeline.presets]
            + Pipeline.sets(output: "out/edit.mp4", extra: ["width": "250", "frames": "12"]))
        #expect(result.status == 2)
        #expect(result.stderr.contains("sizes.width: width 250 must be a multiple of 64"), "\(result.stderr)")
        #expect(result.stderr.contains("the nearest that work are 192 and 256"))
        #expect(result.stderr.contains("sizes.frames: frames 12 must be 8k+1"))
        #expect(result.stderr.contains("the nearest that work are 9 and 17"))
        #expect(result.stderr.contains("ic.yaml:"), "the error names the file and line")
    }

    /// The reference downscale factor comes from the IC-LoRA file, so the 64·d rule is checked
    /// when StageSizes runs, before anything heavy: the fixture's IC-LoRA says d = 2.
    @Test func aSizeTheReferenceCannotTakeFailsBeforeTheModelRuns() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let graph = try cli.write("ic.yaml", try Pipeline.graph("ic-lora-distilled.yaml"))
        let result = try cli.run(["run", graph, "--json", "--presets", Pipeline.presets]
            + Pipeline.sets(output: "out/edit.mp4", extra: ["width": "192"]))
        #expect(result.status == 1)
        #expect(result.stdout.contains("width 192 must be a multiple of 128 (64 for the half-size stage 1, times the reference downscale factor 2"), "\(result.stdout)")
        #expect(result.stdout.contains("the nearest that work are 128 and 256"))
        #expect(!Pipeline.started(result.stdout).contains("stage1"))
    }
}
