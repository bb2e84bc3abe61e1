import ArgumentParser
import Foundation
import LTX
import Tensors

struct RandomModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random-model",
        abstract: "Write a random-weight LTX file for any config: a checkpoint, an upsampler or a LoRA.",
        discussion: """
            --config takes a checkpoint config ({"transformer": ..., "vae": ...}, as in a real \
            LTX file's `config` metadata) or an upsampler's flat config; with --lora-for it writes \
            a LoRA for that checkpoint's transformer instead. Same seed, same bytes. Tiny configs \
            make test and demo models; the real configs make full-size files for benchmarks.
            """)

    @Option(help: "A JSON config file (checkpoint or upsampler).")
    var config: String?

    @Option(name: .customLong("lora-for"), help: "Make a LoRA for the transformer of this checkpoint instead.")
    var loraFor: String?

    @Option(help: "LoRA rank.")
    var rank: Int = 8

    @Option(name: .customLong("reference-downscale-factor"), help: "IC-LoRA metadata to write into the LoRA.")
    var referenceDownscaleFactor: Int?

    @Option(help: "Seed of the weights.")
    var seed: UInt64 = 0

    @Option(help: "float32 or bfloat16 (checkpoints only).")
    var dtype: String = "float32"

    @Option(help: "The file to write.")
    var out: String

    func validate() throws {
        guard (config == nil) != (loraFor == nil) else { throw ValidationError("give exactly one of --config and --lora-for") }
        guard ["float32", "bfloat16"].contains(dtype) else { throw ValidationError("--dtype is float32 or bfloat16, got \(dtype)") }
        guard rank >= 1 else { throw ValidationError("--rank must be at least 1") }
    }

    func run() throws {
        let writer: SafetensorsWriter
        do {
            if let loraFor {
                let c = try TransformerConfig(file: try SafetensorsFile(path: loraFor))
                writer = try RandomCheckpoint.lora(transformer: c, rank: rank, seed: seed, referenceDownscaleFactor: referenceDownscaleFactor)
            } else {
                let text = try String(contentsOfFile: config!, encoding: .utf8)
                let json: JSONValue
                do { json = try JSONValue.parse(text) } catch {
                    throw ValidationError("\(config!): not valid JSON: \(error.message) at byte \(error.offset)")
                }
                if json["transformer"] != nil || json["vae"] != nil {
                    writer = try RandomCheckpoint.checkpoint(config: json, configText: text, seed: seed, dtype: dtype == "bfloat16" ? .bf16 : .f32)
                } else if json["mid_channels"] != nil || json["in_channels"] != nil {
                    writer = try RandomCheckpoint.upsampler(config: json, configText: text, seed: seed)
                } else {
                    throw ValidationError("\(config!): expected a checkpoint config with \"transformer\" or \"vae\", or an upsampler config with \"mid_channels\"")
                }
            }
            try writer.write(to: URL(fileURLWithPath: out))
        } catch let error as ValidationError {
            Terminal.printError("error: \(error.message)")
            throw ExitCodes.invalidInput
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.invalidInput
        }
        Terminal.printLine("wrote \(out)")
    }
}
