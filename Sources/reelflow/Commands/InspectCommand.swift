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

    func run() async throws {
        do {
            let report: String
            if file.lowercased().hasSuffix(".safetensors") {
                report = try SafetensorsInspection.report(path: file)
            } else {
                report = try MediaInspection.report(path: file)
            }
            Terminal.write(report.hasSuffix("\n") ? report : report + "\n")
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.invalidInput
        }
    }
}
