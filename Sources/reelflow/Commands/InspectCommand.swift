import ArgumentParser
import Foundation
import Media
import ReelflowEngine
import Tensors

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a file: safetensors (tensors, metadata, LTX config, LoRA format) or media (streams, codec, frames, size).")

    @Argument(help: "A .safetensors, video or image file.")
    var file: String

    @Flag(help: "Also decode every video frame to normalised float RGB, as LoadVideo does, and report the time.")
    var decode = false

    func run() async throws {
        do {
            if file.lowercased().hasSuffix(".safetensors") {
                let report = try SafetensorsInspection.report(path: file)
                Terminal.write(report.hasSuffix("\n") ? report : report + "\n")
                return
            }
            guard decode else {
                let report = try MediaInspection.report(path: file)
                Terminal.write(report.hasSuffix("\n") ? report : report + "\n")
                return
            }
            // Decode once: the load's frame count goes into the report, so the stream is not
            // decoded a second time just to count its frames.
            let start = ContinuousClock.now
            let video = try MediaLoader.loadVideo(path: file)
            let seconds = (ContinuousClock.now - start).seconds
            let report = try MediaInspection.report(path: file, decodedFrameCount: video.decodedFrameCount)
            Terminal.write(report.hasSuffix("\n") ? report : report + "\n")
            Terminal.printLine(
                "decoded: \(video.decodedFrameCount) frames to \(video.pixels.shape) Float32 in "
                    + String(format: "%.1f ms", seconds * 1e3))
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.invalidInput
        }
    }
}
