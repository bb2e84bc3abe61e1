import Foundation
import Testing
@testable import Tensors

@Suite struct SafetensorsReaderTests {
    @Test func readsEveryDTypeAsFloat() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        // One tensor per dtype, each holding the same small values where the type allows.
        var header = "{\"__metadata__\":{\"format\":\"pt\"}"
        var data: [UInt8] = []
        var expected: [String: [Float]] = [:]
        func add(_ dtype: String, _ bytes: [UInt8], _ values: [Float]) {
            header += ",\"\(dtype.lowercased())\":{\"dtype\":\"\(dtype)\",\"shape\":[\(values.count)],"
                + "\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}"
            data += bytes
            expected[dtype.lowercased()] = values
        }
        add("F32", floatBytes([1.5, -2, 0.25]), [1.5, -2, 0.25])
        add("F64", littleEndianBytes([1.5, -2.0, 1e-3].map { (d: Double) in d.bitPattern }), [1.5, -2, Float(1e-3)])
        add("BF16", littleEndianBytes([UInt16(0x3FC0), 0xC000, 0x3E80]), [1.5, -2, 0.25])
        add("F16", littleEndianBytes([UInt16(0x3E00), 0xC000, 0x0001, 0x7C00]), [1.5, -2, 0x1p-24, .infinity])
        add("F8_E4M3", [0x3C, 0xC0, 0x7E, 0x01], [1.5, -2, 448, 0x1p-9])
        add("F8_E5M2", [0x3E, 0xC0, 0x7C, 0x01], [1.5, -2, .infinity, 0x1p-16])
        add("I64", littleEndianBytes([Int64(-3), 7]), [-3, 7])
        add("I32", littleEndianBytes([Int32(-3), 7]), [-3, 7])
        add("I16", littleEndianBytes([Int16(-3), 7]), [-3, 7])
        add("I8", littleEndianBytes([Int8(-3), 7]), [-3, 7])
        add("U64", littleEndianBytes([UInt64(3), 7]), [3, 7])
        add("U32", littleEndianBytes([UInt32(3), 7]), [3, 7])
        add("U16", littleEndianBytes([UInt16(3), 7]), [3, 7])
        add("U8", [3, 255], [3, 255])
        add("BOOL", [0, 1], [0, 1])
        header += "}"
        let path = try dir.raw("all.safetensors", header: header, data: data)

        let file = try SafetensorsFile(path: path)
        #expect(file.tensors.count == 15)
        #expect(file.metadata("format") == "pt")
        for tensor in file.tensors {
            let values = tensor.floatTensor().hostScalars()
            #expect(values == expected[tensor.name], "\(tensor.name)")
            #expect(tensor.dtype.rawValue.lowercased() == tensor.name)
        }
        let e4m3 = try file.tensor("f8_e4m3")
        #expect(e4m3.shape == [4])
        #expect(Float8.floatFromE4M3(0x7F).isNaN && Float8.floatFromE4M3(0xFF).isNaN)
    }

    @Test func halfFloatDecodingMatchesFloat16() {
        for bits in UInt16.min...UInt16.max {
            let mine = HalfFloat.float(fromBits: bits)
            let swift = Float(Float16(bitPattern: bits))
            #expect(mine.bitPattern == swift.bitPattern || (mine.isNaN && swift.isNaN))
            if mine.bitPattern != swift.bitPattern && !(mine.isNaN && swift.isNaN) { return }
        }
    }

    @Test func rowsAreConvertedOnDemand() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let values = (0..<24).map { Float($0) - 5 }
        let bits = values.map { BFloat16.bits(from: $0) }
        let header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[4,3,2],\"data_offsets\":[0,48]}}"
        let file = try SafetensorsFile(path: try dir.raw("w.safetensors", header: header, data: littleEndianBytes(bits)))
        let w = try file.tensor("w")
        #expect(w.rowCount == 4 && w.rowLength == 6 && w.byteCount == 48)
        let rows = w.floatTensor(rows: 1..<3)
        #expect(rows.shape == [2, 3, 2])
        #expect(rows.hostScalars() == Array(values[6..<18]))
        #expect(w.floatTensor(rows: 2..<2).shape == [0, 3, 2])
        #expect(w.floatTensor().hostScalars() == values)
    }

    @Test func largeConversionsSplitAcrossThreadsGiveTheSameValues() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let n = StoredScalarConversion.parallelThreshold + 3
        let bits = (0..<n).map { UInt16(truncatingIfNeeded: $0 &* 2654435761 >> 7) & 0x7F7F }
        let header = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[\(n)],\"data_offsets\":[0,\(2 * n)]}}"
        let file = try SafetensorsFile(path: try dir.raw("big.safetensors", header: header, data: littleEndianBytes(bits)))
        let values = try file.tensor("big").floatTensor().hostScalars()
        #expect(values.count == n)
        #expect(zip(values, bits).allSatisfy { $0.bitPattern == UInt32($1) << 16 })
    }

    @Test func readsMetadataConfigAndDownscaleFactor() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let config = #"{\"transformer\":{\"num_layers\":2,\"norm_eps\":1e-06},\"vae\":{\"dims\":3}}"#
        let header = "{\"__metadata__\":{\"config\":\"\(config)\",\"reference_downscale_factor\":\"2\"},"
            + "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"
        let file = try SafetensorsFile(path: try dir.raw("m.safetensors", header: header, data: floatBytes([7])))
        let parsed = try #require(try file.config())
        #expect(parsed["transformer"]?["num_layers"]?.intValue == 2)
        #expect(parsed["transformer"]?["norm_eps"] == .number("1e-06"))
        #expect(parsed["vae"]?["dims"]?.intValue == 3)
        #expect(try file.referenceDownscaleFactor() == 2)
        // A scalar tensor has shape [] and one element.
        let x = try file.tensor("x")
        #expect(x.floatTensor().shape == [] && x.floatTensor().hostScalars() == [7])
    }

    @Test func metadataWithoutConfigGivesNil() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let file = try SafetensorsFile(path: try dir.raw("e.safetensors", header: "{}"))
        #expect(try file.config() == nil)
        #expect(try file.referenceDownscaleFactor() == nil)
        #expect(file.tensors.isEmpty)
    }

    @Test func badConfigAndFactorAreErrorsNamingTheEntry() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let header = #"{"__metadata__":{"config":"{\"a\":","reference_downscale_factor":"two"}}"#
        let path = try dir.raw("bad-meta.safetensors", header: header)
        let file = try SafetensorsFile(path: path)
        let configError = weightError { _ = try file.config() }
        #expect(configError?.description == "\(path): __metadata__ entry 'config' is not valid JSON: "
            + "unexpected end of text, expected a value at byte 5 of the entry")
        let factorError = weightError { _ = try file.referenceDownscaleFactor() }
        #expect(factorError?.description == "\(path): __metadata__ entry 'reference_downscale_factor' "
            + "must be a positive integer, found 'two'")
    }

    @Test func missingTensorNamesFileAndTensor() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = try dir.raw("e.safetensors", header: "{}")
        let file = try SafetensorsFile(path: path)
        #expect(weightError { _ = try file.tensor("nope") }?.description == "\(path): tensor 'nope': no such tensor in the file")
    }
}

extension SafetensorsReaderTests {
    /// Streaming into a reused tensor and the zero-copy byte view give the same data as
    /// `floatTensor`, including ranges larger than one conversion chunk (8 MiB).
    @Test func reusedScratchAndZeroCopyBytes() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let rows = 5, cols = (1 << 20) + 1  // 5 rows of 2 MiB + 2 B in BF16: spans chunks
        let count = rows * cols
        var data = [UInt8](repeating: 0, count: 2 * count)
        for i in 0..<count {
            let bits = UInt16(truncatingIfNeeded: i &* 40503) & 0x7F7F
            data[2 * i] = UInt8(bits & 0xFF)
            data[2 * i + 1] = UInt8(bits >> 8)
        }
        let header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(2 * count)]}}"
        let file = try SafetensorsFile(path: try dir.raw("w.safetensors", header: header, data: data))
        let w = try file.tensor("w")
        var scratch = Tensor(zeros: [3, cols])
        w.convert(rows: 1..<4, into: &scratch)
        #expect(scratch.shape == [3, cols])
        let values = scratch.hostScalars()
        var mismatches = 0
        for i in 0..<(3 * cols) {
            let j = cols + i
            let bits = UInt32(data[2 * j]) | UInt32(data[2 * j + 1]) << 8
            if values[i].bitPattern != bits << 16 { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(w.withUnsafeBytes { $0.elementsEqual(data) })
    }
}

extension SafetensorsReaderTests {
    /// Opening reads the header only: a sparse 4 GiB file (no data blocks on disk) opens at
    /// once, and reading one row touches one row.
    @Test func opensAHugeSparseFileLazily() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let rows = 1 << 17, cols = 1 << 14  // 2^31 BF16 values: 4 GiB
        let header = "{\"__metadata__\":{\"config\":\"{}\"},\"big\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(2 * rows * cols)]}}"
        let path = try dir.raw("sparse.safetensors", header: header)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let headerEnd = try handle.seekToEnd()
        try handle.truncate(atOffset: headerEnd + UInt64(2 * rows * cols))
        try handle.close()

        let file = try SafetensorsFile(path: path)
        let big = try file.tensor("big")
        #expect(big.byteCount == 4 << 30 && file.byteCount == Int(headerEnd) + (4 << 30))
        let row = big.floatTensor(rows: 77_777..<77_778)
        #expect(row.shape == [1, cols] && row.hostScalars().allSatisfy { $0 == 0 })
    }
}
