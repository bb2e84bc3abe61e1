import Foundation
import Testing
@testable import Tensors

@Suite struct SafetensorsWriterTests {
    @Test func roundTripsF32BF16AndF16WithMetadata() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let values: [Float] = [1, -2.5, 3.14159, 1e-3, 65504, -0.0]
        let t = Tensor(shape: [2, 3], scalars: values)
        var writer = SafetensorsWriter(metadata: [("config", #"{"a":1}"#), ("note", "quote \" and\nnewline")])
        try writer.add("f32", t)
        try writer.add("bf16", t, as: .bf16)
        try writer.add("f16", t, as: .f16)
        try writer.add("bits", bfloat16Bits: [0x3F80, 0x4000], shape: [2])
        try writer.add("empty", Tensor(zeros: [0, 4]))
        let url = dir.url.appendingPathComponent("rt.safetensors")
        let written = try writer.write(to: url)
        #expect(written == url)

        let file = try SafetensorsFile(path: url.path)
        #expect(file.metadata.map(\.key) == ["config", "note"])
        #expect(file.metadata("note") == "quote \" and\nnewline")
        #expect(try file.config()?["a"]?.intValue == 1)
        #expect(try file.tensor("f32").floatTensor().hostScalars() == values)
        #expect(try file.tensor("bf16").floatTensor().hostScalars() == values.map(BFloat16.round))
        #expect(try file.tensor("f16").floatTensor().hostScalars() == values.map(HalfFloat.round))
        #expect(try file.tensor("bits").floatTensor().hostScalars() == [1, 2])
        #expect(try file.tensor("empty").shape == [0, 4])
        #expect(try file.tensor("bf16").dtype == .bf16)
        // The data section starts 8-byte aligned.
        #expect((8 + file.headerByteCount) % 8 == 0)
    }

    @Test func copiesStoredTensorsByteForByte() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let source = try dir.raw("src.safetensors", header: #"{"i":{"dtype":"I16","shape":[3],"data_offsets":[0,6]}}"#, data: littleEndianBytes([Int16(-1), 2, 300]))
        var writer = SafetensorsWriter()
        try writer.add("renamed", stored: try SafetensorsFile(path: source).tensor("i"))
        let url = dir.url.appendingPathComponent("copy.safetensors")
        try writer.write(to: url)
        let copy = try SafetensorsFile(path: url.path).tensor("renamed")
        #expect(copy.dtype == .i16 && copy.floatTensor().hostScalars() == [-1, 2, 300])
    }

    @Test func refusesRepeatedNamesAndOtherDTypes() throws {
        var writer = SafetensorsWriter()
        try writer.add("x", Tensor(zeros: [1]))
        #expect(weightError { try writer.add("x", Tensor(zeros: [1])) }?.description == "(safetensors writer): tensor 'x': added twice")
        #expect(weightError { try writer.add("y", Tensor(zeros: [1]), as: .i8) }?.kind == .writeFailed)
    }

    @Test func failedWriteLeavesTheOldFile() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let url = dir.url.appendingPathComponent("keep.safetensors")
        try Data("old".utf8).write(to: url)
        var writer = SafetensorsWriter()
        try writer.add("x", Tensor(zeros: [1]))
        #expect(throws: OutputFileError.self) { try writer.write(to: url, policy: .refuse) }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        let numbered = try writer.write(to: url, policy: .number)
        #expect(numbered.lastPathComponent == "keep_00001.safetensors")
    }
}
