import Foundation
import LTX
import Testing
import Tensors

@Suite struct PromptContextTests {
    @Test func loadsAContextFileAndRejectsAWrongWidth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prompt-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (model, _) = try TransformerParityTests.load("ltx23")  // context width = model width 16
        var writer = SafetensorsWriter()
        try writer.add("video_context", Tensor(shape: [7, 16], scalars: (0..<112).map { Float($0) / 100 }), as: .bf16)
        let good = try writer.write(to: dir.appendingPathComponent("good.safetensors")).path
        let context = try PromptContext.load(path: good, config: model.config, dtype: .bf16)
        #expect(context.shape == [1, 7, 16] && context.dtype == .bf16)
        var wrong = SafetensorsWriter()
        try wrong.add("video_context", Tensor(zeros: [1, 7, 24]))
        let bad = try wrong.write(to: dir.appendingPathComponent("bad.safetensors")).path
        #expect {
            _ = try PromptContext.load(path: bad, config: model.config, dtype: .f32)
        } throws: { error in
            "\(error)".contains("bad.safetensors") && "\(error)".contains("[1, S, 16]") && "\(error)".contains("[1, 7, 24]")
        }
    }
}
