import Foundation
import Tensors

/// A minimal, test-only safetensors reader: F32 tensors only, whole file in memory.
///
/// It exists so the op tests do not depend on the production safetensors reader (built on
/// another branch); they only need the committed fixture written by
/// tools/reference/make_op_fixtures.py.
struct FixtureFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let data: Data
    private let headerEnd: Int
    private let entries: [String: (shape: [Int], start: Int, end: Int)]

    /// Opens `Fixtures/<name>.safetensors` from the test bundle.
    init(named name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures")
        else { throw Failure(description: "fixture \(name).safetensors is missing from the test bundle") }
        data = try Data(contentsOf: url)
        guard data.count >= 8 else { throw Failure(description: "\(url.path): shorter than the 8-byte header length") }
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length > 0, 8 + length <= data.count else {
            throw Failure(description: "\(url.path): header length \(length) does not fit \(data.count) bytes")
        }
        headerEnd = 8 + length
        guard let header = try JSONSerialization.jsonObject(with: data[8..<headerEnd]) as? [String: Any] else {
            throw Failure(description: "\(url.path): header is not a JSON object")
        }
        var entries: [String: (shape: [Int], start: Int, end: Int)] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw Failure(description: "\(url.path): malformed entry \(name)") }
            guard dtype == "F32" else { throw Failure(description: "\(url.path): \(name) is \(dtype), expected F32") }
            guard offsets[0] <= offsets[1], headerEnd + offsets[1] <= data.count,
                offsets[1] - offsets[0] == shape.reduce(1, *) * 4
            else { throw Failure(description: "\(url.path): \(name) offsets \(offsets) do not fit shape \(shape)") }
            entries[name] = (shape, offsets[0], offsets[1])
        }
        self.entries = entries
    }

    /// The F32 tensor stored under `name`.
    func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw Failure(description: "fixture has no tensor \(name)") }
        let bytes = data[(headerEnd + entry.start)..<(headerEnd + entry.end)]
        var scalars = [Float](repeating: 0, count: entry.shape.reduce(1, *))
        scalars.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }  // little-endian host
        return Tensor(shape: entry.shape, scalars: scalars)
    }
}
