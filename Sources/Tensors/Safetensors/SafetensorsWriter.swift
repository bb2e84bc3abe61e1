import Foundation
import ReelflowIO

/// Builds a safetensors file: tensors in the order they are added, optional metadata, and
/// a header padded with spaces so the data section starts 8-byte aligned. The file appears
/// atomically (`AtomicFileWriter`): readers see the old file or the complete new one.
///
/// ```swift
/// var writer = SafetensorsWriter(metadata: [("config", configJSON)])
/// try writer.add("blocks.0.weight", weight, as: .bf16)
/// try writer.write(to: url)
/// ```
public struct SafetensorsWriter: Sendable {
    enum Payload: Sendable {
        case floats(Tensor)
        case stored(StoredTensor)
        case bfloat16Bits([UInt16])
    }

    struct Entry: Sendable {
        let name: String
        let dtype: DType
        let shape: [Int]
        let payload: Payload
        var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }
    }

    private(set) var entries: [Entry] = []
    private var names = Set<String>()
    /// Metadata entries, written in this order under `__metadata__`.
    public var metadata: [(key: String, value: String)]

    public init(metadata: [(key: String, value: String)] = []) {
        self.metadata = metadata
    }

    /// Adds a float32 tensor, stored as `dtype` (F32 as is; BF16 and F16 rounded to nearest even).
    /// - Throws: `WeightFileError.writeFailed` for another dtype or a repeated name.
    public mutating func add(_ name: String, _ tensor: Tensor, as dtype: DType = .f32) throws(WeightFileError) {
        guard [.f32, .bf16, .f16].contains(dtype) else {
            throw WeightFileError(.writeFailed, path: "(safetensors writer)", tensor: name,
                "can write float32 tensors as F32, BF16 or F16, not \(dtype.rawValue)")
        }
        try append(Entry(name: name, dtype: dtype, shape: tensor.shape, payload: .floats(tensor)))
    }

    /// Adds bf16 values given as bit patterns (e.g. a fused LoRA weight), stored as BF16.
    public mutating func add(_ name: String, bfloat16Bits bits: [UInt16], shape: [Int]) throws(WeightFileError) {
        guard shape.reduce(1, *) == bits.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw WeightFileError(.writeFailed, path: "(safetensors writer)", tensor: name,
                "shape \(shape) does not hold \(bits.count) values")
        }
        try append(Entry(name: name, dtype: .bf16, shape: shape, payload: .bfloat16Bits(bits)))
    }

    /// Adds a stored tensor, copying its bytes unchanged (any dtype), e.g. to split a checkpoint.
    public mutating func add(_ name: String, stored: StoredTensor) throws(WeightFileError) {
        try append(Entry(name: name, dtype: stored.dtype, shape: stored.shape, payload: .stored(stored)))
    }

    private mutating func append(_ entry: Entry) throws(WeightFileError) {
        guard names.insert(entry.name).inserted else {
            throw WeightFileError(.writeFailed, path: "(safetensors writer)", tensor: entry.name, "added twice")
        }
        entries.append(entry)
    }

    /// The header bytes: JSON padded with spaces to a multiple of 8, preceded by its length.
    func headerBytes() -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.map { JSONString.quoted($0.key) + ":" + JSONString.quoted($0.value) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for entry in entries {
            if !first { json += "," }
            first = false
            let end = offset + entry.byteCount
            json += JSONString.quoted(entry.name) + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":["
                + entry.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) + bytes
    }

    /// Writes the file atomically.
    /// - Returns: the path written (differs from `url` under `ExistingOutputPolicy.number`).
    /// - Throws: `OutputFileError` if the file cannot be written.
    @discardableResult
    public func write(to url: URL, policy: ExistingOutputPolicy = .overwrite) throws -> URL {
        try AtomicFileWriter.write(to: url, policy: policy) { temporary in
            let sink = try FileSink(path: temporary.path)
            try sink.write(headerBytes())
            for entry in entries { try write(entry, to: sink) }
            try sink.finish()
        }
    }

    private func write(_ entry: Entry, to sink: FileSink) throws {
        switch entry.payload {
        case .stored(let stored):
            try stored.withRawBytes { try sink.write($0) }
        case .bfloat16Bits(let bits):
            try bits.withUnsafeBytes { try sink.write($0) }
        case .floats(let tensor):
            let host = tensor.to(device: .cpu)
            if host.dtype == entry.dtype {
                try host.withUnsafeHostBytes { try sink.write($0) }
                return
            }
            try host.withHostScalars { floats in
                switch entry.dtype {
                case .f32: try sink.write(UnsafeRawBufferPointer(floats))
                case .bf16: try sink.writeConverted(floats) { BFloat16.bits(from: $0) }
                default: try sink.writeConverted(floats) { HalfFloat.bits(from: $0) }
                }
            }
        }
    }
}

/// An output file written with `fwrite`, flushed and synced before it is renamed into place.
private final class FileSink {
    let path: String
    let handle: UnsafeMutablePointer<FILE>

    init(path: String) throws {
        self.path = path
        guard let handle = fopen(path, "wb") else {
            throw OutputFileError(path: path, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
    }

    deinit { fclose(handle) }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard fwrite(base, 1, bytes.count, handle) == bytes.count else {
            throw OutputFileError(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Converts float32 values to 16-bit patterns in chunks, so memory stays small.
    func writeConverted(_ floats: UnsafeBufferPointer<Float>, _ convert: (Float) -> UInt16) throws {
        var chunk = [UInt16](repeating: 0, count: min(floats.count, 1 << 20))
        var start = 0
        while start < floats.count {
            let n = min(chunk.count, floats.count - start)
            for i in 0..<n { chunk[i] = convert(floats[start + i]).littleEndian }
            try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
            start += n
        }
    }

    func finish() throws {
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0 else {
            throw OutputFileError(path: path, reason: "flush failed: \(String(cString: strerror(errno)))")
        }
    }
}
