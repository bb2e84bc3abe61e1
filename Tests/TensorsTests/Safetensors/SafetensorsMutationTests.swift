import Foundation
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// A small seeded mutation fuzzer: thousands of damaged variants of a valid file, each of
/// which must either be rejected with a `WeightFileError` naming the file or open and read
/// completely (every tensor converted, the inspect report built). A crash or an
/// out-of-bounds read ends the test process, which fails the run.
@Suite struct SafetensorsMutationTests {
    static func validFile() throws -> [UInt8] {
        var writer = SafetensorsWriter(metadata: [("config", #"{"vae":{"latent_channels":128}}"#), ("reference_downscale_factor", "2")])
        try writer.add("model.diffusion_model.a.weight", Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]), as: .bf16)
        try writer.add("model.diffusion_model.b.lora_A.weight", Tensor(shape: [2, 2], scalars: [1, -2, 3, -4]), as: .f16)
        try writer.add("c", Tensor(shape: [5], scalars: [0, 1, 2, 3, 4]))
        let dir = try TestDirectory()
        let url = dir.url.appendingPathComponent("valid.safetensors")
        try writer.write(to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    /// One random edit: overwrite, insert or delete a byte, mostly inside the JSON header
    /// (where parsing happens), sometimes in the length prefix or the data; or swap two
    /// ASCII digits for others, which keeps the JSON well-formed but moves offsets and shapes.
    static func mutate(_ bytes: [UInt8], using rng: inout SeededRandom) -> [UInt8] {
        var b = bytes
        let headerEnd = min(b.count, 8 + Int(b[0]) + Int(b[1]) << 8)
        let edits = Int.random(in: 1...3, using: &rng)
        for _ in 0..<edits {
            guard !b.isEmpty else { break }
            let region = Int.random(in: 0..<10, using: &rng)
            let at = region == 0 ? Int.random(in: 0..<min(8, b.count), using: &rng)
                : region < 9 ? Int.random(in: min(8, b.count - 1)..<max(min(8, b.count - 1) + 1, min(headerEnd, b.count)), using: &rng)
                : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: b.insert(UInt8.random(in: 32...126, using: &rng), at: at)
            case 2: b.remove(at: at)
            default:
                if let digit = b[at...].firstIndex(where: { (48...57).contains($0) }) {
                    b[digit] = UInt8.random(in: 48...57, using: &rng)
                } else {
                    b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
            }
        }
        return b
    }

    @Test func thousandsOfMutantsAreRejectedCleanlyOrReadCompletely() throws {
        let valid = try Self.validFile()
        let dir = try TestDirectory()
        var rng = SeededRandom(seed: 2026)
        var rejected = 0, accepted = 0
        var kinds: Set<String> = []
        for i in 0..<3000 {
            let mutant = Self.mutate(valid, using: &rng)
            let path = dir.path("mutant-\(i % 8).safetensors")
            try Data(mutant).write(to: URL(fileURLWithPath: path))
            do {
                let file = try SafetensorsFile(path: path)
                for stored in file.tensors { _ = stored.floatTensor() }
                _ = try SafetensorsInspection.report(path: path)
                accepted += 1
            } catch {
                #expect(error.path == path, "mutant \(i): the error must name the file: \(error)")
                #expect(!error.description.isEmpty)
                kinds.insert("\(error.kind)")
                rejected += 1
            }
        }
        // Both outcomes must be exercised, and several kinds of error, or the mutations are
        // not reaching the parser's checks.
        #expect(rejected > 1000 && accepted > 50, "rejected \(rejected), accepted \(accepted)")
        #expect(kinds.count >= 3, "error kinds seen: \(kinds.sorted())")
    }
}
