import Foundation
import Testing
@testable import Tensors

/// Each malformed-file case is a clear `WeightFileError` naming the file (and the tensor
/// when one is at fault), never a crash or an out-of-bounds read.
@Suite struct SafetensorsMalformedTests {
    let dir: TestDirectory
    init() throws { dir = try TestDirectory() }

    private func openError(_ path: String) -> WeightFileError? {
        weightError { _ = try SafetensorsFile(path: path) }
    }

    private let entry = #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#

    @Test func missingFile() {
        let path = dir.path("absent.safetensors")
        let error = openError(path)
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description == "\(path): cannot open the file: No such file or directory (errno 2)")
    }

    @Test func directoryIsNotAFile() {
        #expect(openError(dir.url.path)?.description == "\(dir.url.path): is not a regular file")
    }

    @Test func emptyAndTinyFiles() throws {
        let empty = dir.path("empty.safetensors")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(openError(empty)?.description == "\(empty): the file is 0 bytes long, too short for the 8-byte header length")
        let tiny = dir.path("tiny.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        #expect(openError(tiny)?.kind == .truncated)
    }

    @Test func absurdHeaderLength() throws {
        let path = try dir.raw("absurd.safetensors", header: "{}", declaredLength: 0x4142_4344_4546_4748)
        #expect(openError(path)?.description == "\(path): the header length field says 4702394921427289928 bytes, "
            + "more than the 100000000 bytes safetensors allows (not a safetensors file, or a damaged one)")
    }

    @Test func headerLengthBeyondTheFile() throws {
        let path = try dir.raw("short.safetensors", header: "{}", declaredLength: 1000)
        let error = openError(path)
        #expect(error?.kind == .truncated)
        #expect(error?.description == "\(path): the header length field says 1000 bytes, but only 8 bytes "
            + "follow it (the file is truncated or not a safetensors file)")
    }

    @Test func badJSON() throws {
        let path = try dir.raw("json.safetensors", header: #"{"w":{"dtype":"F32",}"#)
        #expect(openError(path)?.description == "\(path): the header is not valid JSON: expected a quoted member "
            + "name at byte 20 of the header (byte 28 of the file)")
    }

    @Test func headerThatIsNotAnObject() throws {
        let path = try dir.raw("array.safetensors", header: "[1, 2]")
        #expect(openError(path)?.description == "\(path): the header must be a JSON object mapping tensor names to entries")
    }

    @Test func unknownDType() throws {
        let path = try dir.raw("dtype.safetensors", header: #"{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0])
        let error = openError(path)
        #expect(error?.kind == .unknownDType)
        #expect(error?.description.hasPrefix("\(path): tensor 'w': unknown dtype 'Q4' (expected one of F64, F32,") == true)
    }

    @Test(arguments: [
        (#"[2.5]"#, "shape [2.5] must hold non-negative integers"),
        (#"[-2]"#, "shape [-2] must hold non-negative integers"),
        (#"["2"]"#, #"shape ["2"] must hold non-negative integers"#),
        (#"[true]"#, "shape [true] must hold non-negative integers"),
        (#"[99999999999999999999]"#, "shape [99999999999999999999] must hold non-negative integers"),
    ])
    func badShapeValues(shape: String, reason: String) throws {
        let path = try dir.raw("shape.safetensors", header: #"{"w":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(openError(path)?.description == "\(path): tensor 'w': \(reason)")
    }

    @Test func shapeWhoseByteCountOverflows() throws {
        let path = try dir.raw("huge.safetensors", header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(openError(path)?.description == "\(path): tensor 'w': shape [4294967296, 4294967296] is too large to exist")
    }

    @Test func dtypeThatDoesNotFitTheShape() throws {
        let path = try dir.raw("mismatch.safetensors", header: #"{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]}}"#, data: Array(repeating: 0, count: 10))
        let error = openError(path)
        #expect(error?.kind == .byteLengthMismatch)
        #expect(error?.description == "\(path): tensor 'w': dtype BF16 and shape [2, 3] need 12 bytes, but data_offsets [0, 10] span 10")
    }

    @Test(arguments: [#"[8,0]"#, #"[0]"#, #"[0,-8]"#, #""x""#])
    func badOffsets(offsets: String) throws {
        let path = try dir.raw("offsets.safetensors", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":"# + offsets + "}}", data: Array(repeating: 0, count: 8))
        #expect(openError(path)?.description == "\(path): tensor 'w': data_offsets must be [begin, end] with 0 <= begin <= end, found \(offsets)")
    }

    @Test func overlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let path = try dir.raw("overlap.safetensors", header: header, data: Array(repeating: 0, count: 12))
        let error = openError(path)
        #expect(error?.kind == .offsetsOverlap)
        #expect(error?.description == "\(path): tensor 'b': data_offsets [4, 12] overlap tensor 'a', which ends at 8")
    }

    @Test func offsetsBeyondTheData() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#
        let path = try dir.raw("truncated.safetensors", header: header, data: Array(repeating: 0, count: 20))
        let error = openError(path)
        #expect(error?.kind == .truncated)
        #expect(error?.description == "\(path): tensor 'b': data_offsets [8, 24] reach past the end of the data "
            + "section, which is 20 bytes long (the file is truncated)")
    }

    @Test func gapsAndLeftoverBytes() throws {
        let gap = try dir.raw("gap.safetensors", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: Array(repeating: 0, count: 12))
        #expect(openError(gap)?.description == "\(gap): tensor 'w': data starts at 4 but the previous tensor ends at 0: safetensors data must be contiguous")
        let extra = try dir.raw("extra.safetensors", header: "{" + entry + "}", data: Array(repeating: 0, count: 9))
        #expect(openError(extra)?.description == "\(extra): the tensors cover 8 bytes of data but the data section holds 9 bytes")
    }

    @Test func entryThatIsNotAnObject() throws {
        let path = try dir.raw("entry.safetensors", header: #"{"w":[1]}"#)
        #expect(openError(path)?.description == "\(path): tensor 'w': the entry must be an object with dtype, shape and data_offsets")
        let noDType = try dir.raw("nodtype.safetensors", header: #"{"w":{"shape":[]}}"#)
        #expect(openError(noDType)?.description == "\(noDType): tensor 'w': the entry has no dtype string")
    }

    @Test func duplicateNames() throws {
        let path = try dir.raw("dup.safetensors", header: "{" + entry + "," + entry + "}", data: Array(repeating: 0, count: 8))
        #expect(openError(path)?.description == "\(path): tensor 'w': appears twice in the header")
    }

    @Test func metadataThatIsNotStrings() throws {
        let path = try dir.raw("meta.safetensors", header: #"{"__metadata__":{"steps":3}}"#)
        #expect(openError(path)?.description == "\(path): __metadata__ entry 'steps' must be a string, found 3")
        let notObject = try dir.raw("meta2.safetensors", header: #"{"__metadata__":"x"}"#)
        #expect(openError(notObject)?.kind == .badMetadata)
    }

    @Test func everyTruncationOfAValidFileIsAnError() throws {
        // Cut a valid file at every length: each prefix must fail cleanly, none may crash.
        var writer = SafetensorsWriter(metadata: [("config", "{}")])
        try writer.add("a", Tensor(shape: [3], scalars: [1, 2, 3]), as: .bf16)
        try writer.add("b", Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let full = dir.url.appendingPathComponent("full.safetensors")
        try writer.write(to: full)
        let bytes = try Data(contentsOf: full)
        #expect((try? SafetensorsFile(path: full.path)) != nil)
        for length in 0..<bytes.count {
            let cut = dir.path("cut-\(length).safetensors")
            try bytes.prefix(length).write(to: URL(fileURLWithPath: cut))
            let error = openError(cut)
            #expect(error != nil, "prefix of \(length) bytes was accepted")
            #expect(error?.path == cut)
        }
    }
}
