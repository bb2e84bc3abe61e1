import ArgumentParser
import Foundation
import Media
import ReelflowEngine
import Tensors

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a file: safetensors (tensors, metadata, LTX config, LoRA format) or media (streams, codec, frames, size).")

    @Argument(help: "One or more .safetensors, video or image files.")
    var files: [String]

    @Flag(help: "Also decode every video frame to normalised float RGB, as LoadVideo does, and report the time.")
    var decode = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Missing expected argument '<files> ...'.") }
    }

    /// Each file's report in turn, a blank line between them. A file that cannot be read
    /// prints its error and the others are still described; the exit code is then 2.
    func run() async throws {
        var failed = false
        for (index, file) in files.enumerated() {
            if index > 0 { Terminal.write("\n") }
            do {
                Terminal.write(try report(file))
            } catch {
                Terminal.printError("error: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCodes.invalidInput }
    }

    private func report(_ file: String) throws -> String {
        func ended(_ text: String) -> String { text.hasSuffix("\n") ? text : text + "\n" }
        if file.lowercased().hasSuffix(".safetensors") {
            return ended(try SafetensorsInspection.report(path: file))
        }
        guard decode else { return ended(try MediaInspection.report(path: file)) }
        // Decode once: the load's frame count goes into the report, so the stream is not
        // decoded a second time just to count its frames.
        let start = ContinuousClock.now
        let video = try MediaLoader.loadVideo(path: file)
        let seconds = (ContinuousClock.now - start).seconds
        let text = ended(try MediaInspection.report(path: file, decodedFrameCount: video.decodedFrameCount))
        return text + "decoded: \(video.decodedFrameCount) frames to \(video.pixels.shape) Float32 in "
            + String(format: "%.1f ms", seconds * 1e3) + "\n"
    }
}
