import Foundation
import Testing
@testable import Tensors

/// The BF16 conversion with streaming stores (CKernels), used when a float32
/// destination is too large to stay in cache, must give the same bits as the plain loop.
@Suite struct StreamingConversionTests {
    /// Every one of the 65,536 bf16 bit patterns (NaNs, infinities, subnormals included), from
    /// a source at every byte alignment into a destination at every float alignment mod 16 B,
    /// with counts that leave a head and tail outside the 16-element vector loop.
    @Test func everyBitPatternAtEveryAlignment() {
        let patterns = (0...0xFFFF).map { UInt16($0) }
        var source = [UInt8](repeating: 0, count: 2 * patterns.count + 1)
        var expectedAll = [Float](repeating: 0, count: patterns.count)
        for sourceShift in 0..<2 {
            for (i, p) in patterns.enumerated() {
                source[sourceShift + 2 * i] = UInt8(p & 0xFF)
                source[sourceShift + 2 * i + 1] = UInt8(p >> 8)
            }
            for destinationShift in 0..<4 {
                for count in [0, 1, 15, 16, 17, 33, patterns.count - destinationShift] {
                    var out = [Float](repeating: -1, count: count + destinationShift + 1)
                    source.withUnsafeBytes { s in
                        out.withUnsafeMutableBufferPointer { d in
                            StoredScalarConversion.convert(.bf16, from: s.baseAddress! + sourceShift, count: count,
                                to: d.baseAddress! + destinationShift, streaming: true)
                        }
                        expectedAll.withUnsafeMutableBufferPointer { e in
                            StoredScalarConversion.convertSerially(.bf16, from: s.baseAddress! + sourceShift, count: count, to: e.baseAddress!)
                        }
                    }
                    let got = out[destinationShift..<(destinationShift + count)].map(\.bitPattern)
                    #expect(got == expectedAll[0..<count].map(\.bitPattern), "source +\(sourceShift), destination +\(destinationShift), count \(count)")
                    #expect(out[destinationShift + count].bitPattern == Float(-1).bitPattern, "wrote past the end")
                    #expect(out[0..<destinationShift].allSatisfy { $0 == -1 }, "wrote before the start")
                }
            }
        }
    }

    /// A tensor whose float32 form is above `streamingDestinationBytes` takes the streaming path
    /// through `floatTensor()` and `convert(rows:into:)`, across threads and 8 MiB chunks.
    @Test func largeTensorThroughTheLoader() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let cols = 4099
        let rows = StoredScalarConversion.streamingDestinationBytes / 4 / cols + 2
        let count = rows * cols
        #expect(count * 4 >= StoredScalarConversion.streamingDestinationBytes)
        // Built and checked through buffer pointers: element-wise Array code is slow in debug builds.
        var bits = [UInt16](repeating: 0, count: count)
        bits.withUnsafeMutableBufferPointer { b in
            for i in 0..<count { b[i] = UInt16(truncatingIfNeeded: i &* 2654435761 >> 5) }
        }
        let data = bits.withUnsafeBytes { [UInt8]($0) }  // little-endian on every supported host
        let header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(2 * count)]}}"
        let file = try SafetensorsFile(path: try dir.raw("w.safetensors", header: header, data: data))
        let w = try file.tensor("w")
        func mismatches(_ tensor: Tensor, from firstRow: Int) -> Int {
            tensor.withUnsafeBufferPointer { values in
                bits.withUnsafeBufferPointer { b in
                    var wrong = 0
                    for i in 0..<values.count where values[i].bitPattern != UInt32(b[firstRow * cols + i]) << 16 { wrong += 1 }
                    return wrong
                }
            }
        }
        let whole = w.floatTensor()
        #expect(whole.count == count)
        #expect(mismatches(whole, from: 0) == 0)
        var scratch = Tensor(zeros: [rows - 1, cols])
        w.convert(rows: 1..<rows, into: &scratch)
        #expect(mismatches(scratch, from: 1) == 0)
    }
}
