import Foundation
@testable import Tensors

/// Files written by the tests into a fresh temporary directory.
struct TestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes a safetensors file by hand: length field (or `declaredLength`), header text
    /// (padded to 8 bytes unless `pad` is false) and data bytes.
    @discardableResult
    func raw(_ name: String, header: String, data: [UInt8] = [], declaredLength: UInt64? = nil, pad: Bool = true) throws -> String {
        var headerBytes = Array(header.utf8)
        while pad && headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes = withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian, Array.init)
        bytes += headerBytes + data
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian, Array.init) }
}

func floatBytes(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }

/// The error thrown by `body`, as a `WeightFileError`.
func weightError(_ body: () throws -> Void) -> WeightFileError? {
    do {
        try body()
        return nil
    } catch let error as WeightFileError {
        return error
    } catch {
        return nil
    }
}
