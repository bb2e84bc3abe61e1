import Foundation
import Media
import Tensors
import Testing

@Suite struct InspectCommandTests {
    @Test func inspectDescribesAndDecodesAVideo() throws {
        let cli = CLI(); defer { cli.cleanup() }
        // 9 frames of a moving gradient, 64x48, written through the Media library.
        let frames = Tensor(shape: [1, 3, 9, 48, 64], scalars: (0..<(3 * 9 * 48 * 64)).map { Float(($0 * 7) % 200) / 100 - 1 })
        let path = cli.dir.appendingPathComponent("clip.mp4").path
        _ = try MediaWriter.saveVideo(frames, to: path, options: VideoSaveOptions(fps: 24, existing: .overwrite))
        let result = try cli.run("inspect", "--decode", "clip.mp4")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("h264"))
        #expect(result.stdout.contains("decoded: 9 frames to [1, 3, 9, 48, 64] Float32"), "\(result.stdout)")
    }

    @Test func inspectDescribesSafetensors() throws {
        let cli = CLI(); defer { cli.cleanup() }
        var writer = SafetensorsWriter(metadata: [("reference_downscale_factor", "2")])
        try writer.add("diffusion_model.blocks.0.attn.to_q.lora_A.weight", Tensor(zeros: [4, 16]), as: .bf16)
        try writer.add("diffusion_model.blocks.0.attn.to_q.lora_B.weight", Tensor(zeros: [16, 4]), as: .bf16)
        _ = try writer.write(to: cli.dir.appendingPathComponent("lora.safetensors"))
        let result = try cli.run("inspect", "lora.safetensors")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("format: lora_A/lora_B with diffusion_model. prefix"))
        #expect(result.stdout.contains("  rank: 4\n"), "\(result.stdout)")
    }

    @Test func damagedFilesAreClearErrors() throws {
        let cli = CLI(); defer { cli.cleanup() }
        try cli.write("broken.safetensors", "\u{FF}\u{FF}\u{FF}\u{FF}\u{FF}\u{FF}\u{FF}\u{7F}garbage")
        let tensors = try cli.run("inspect", "broken.safetensors")
        #expect(tensors.status == 2)
        #expect(tensors.stderr.hasPrefix("error: "))
        #expect(tensors.stderr.contains("broken.safetensors"))
        try cli.write("broken.mp4", "this is not a video")
        let media = try cli.run("inspect", "--decode", "broken.mp4")
        #expect(media.status == 2)
        #expect(media.stderr.contains("broken.mp4"))
    }

    @Test func severalFilesAreDescribedInTurnAndAFailureDoesNotStopTheRest() throws {
        let cli = CLI(); defer { cli.cleanup() }
        var writer = SafetensorsWriter()
        try writer.add("w", Tensor(zeros: [2, 3]))
        _ = try writer.write(to: cli.dir.appendingPathComponent("a.safetensors"))
        _ = try writer.write(to: cli.dir.appendingPathComponent("b.safetensors"))
        try cli.write("broken.mp4", "this is not a video")
        let both = try cli.run("inspect", "a.safetensors", "b.safetensors")
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.components(separatedBy: "a.safetensors").count == 2, "\(both.stdout)")
        #expect(both.stdout.contains("\n\n"), "a blank line between reports: \(both.stdout)")
        let mixed = try cli.run("inspect", "a.safetensors", "broken.mp4", "b.safetensors")
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("broken.mp4"))
        #expect(mixed.stdout.contains("b.safetensors"), "the file after the broken one is still described: \(mixed.stdout)")
        let none = try cli.run("inspect")
        #expect(none.status == 64)
    }
}
