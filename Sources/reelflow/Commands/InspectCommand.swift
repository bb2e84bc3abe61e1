import ArgumentParser
import Foundation
import Media
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
            let report: String
            if file.lowercased().hasSuffix(".safetensors") {
                report = try SafetensorsInspection.report(path: file)
            } else {
                report = try MediaInspection.report(path: file)
            }
            Terminal.write(report.hasSuffix("\n") ? report : report + "\n")
            if decode && !file.lowercased().hasSuffix(".safetensors") {
                let start = ContinuousClock.now
                let video = try MediaLoader.loadVideo(path: file)
                let seconds = (ContinuousClock.now - start).secondsValue
                Terminal.printLine(
                    "decoded: \(video.decodedFrameCount) frames to \(video.pixels.shape) Float32 in "
                        + String(format: "%.1f ms", seconds * 1e3))
            }
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.invalidInput
        }
    }
}
