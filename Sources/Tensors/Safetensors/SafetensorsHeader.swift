/// Reads and checks the header of a safetensors file: the 8-byte little-endian header
/// length, the JSON header, every tensor entry and the layout of the data section.
///
/// The checks follow the reference implementation (the `safetensors` Rust crate, which
/// PyTorch users load through): the data section must be covered exactly, tensor after
/// tensor, with no overlap, no gap and no bytes left over. Nothing here touches tensor data.
enum SafetensorsHeader {
    /// The reference implementation's limit; real headers are far smaller (a 44 GB LTX
    /// checkpoint has a header of well under 1 MB).
    static let maxHeaderLength = 100_000_000

    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        /// Offsets relative to the start of the data section.
        let begin: Int, end: Int
    }

    struct Parsed {
        let headerLength: Int
        let entries: [Entry]
        let metadata: [(key: String, value: String)]
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws(WeightFileError) -> Parsed {
        func error(_ kind: WeightFileError.Kind, tensor: String? = nil, _ reason: String) -> WeightFileError {
            WeightFileError(kind, path: path, tensor: tensor, reason)
        }
        guard bytes.count >= 8 else {
            throw error(.truncated, "the file is \(bytes.count) bytes long, too short for the 8-byte header length")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maxHeaderLength) else {
            throw error(.headerLength, "the header length field says \(declared) bytes, more than the "
                + "\(maxHeaderLength) bytes safetensors allows (not a safetensors file, or a damaged one)")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw error(.truncated, "the header length field says \(headerLength) bytes, but only "
                + "\(bytes.count - 8) bytes follow it (the file is truncated or not a safetensors file)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw WeightFileError(.badJSON, path: path,
                "the header is not valid JSON: \(error.message) at byte \(error.offset) of the header "
                + "(byte \(8 + error.offset) of the file)")
        }
        guard case .object(let members) = json else {
            throw error(.badHeader, "the header must be a JSON object mapping tensor names to entries")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        var metadata: [(key: String, value: String)] = []
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw error(.badHeader, tensor: name, "appears twice in the header") }
            if name == "__metadata__" {
                guard case .object(let items) = value else {
                    throw error(.badMetadata, "__metadata__ must be an object of strings")
                }
                for (key, item) in items {
                    guard let text = item.stringValue else {
                        throw error(.badMetadata, "__metadata__ entry '\(key)' must be a string, found \(item.compactText)")
                    }
                    metadata.append((key, text))
                }
                continue
            }
            entries.append(try entry(name, value, path: path))
        }
        try checkLayout(entries, dataLength: bytes.count - 8 - headerLength, path: path)
        return Parsed(headerLength: headerLength, entries: entries, metadata: metadata)
    }

    private static func entry(_ name: String, _ value: JSONValue, path: String) throws(WeightFileError) -> Entry {
        func bad(_ reason: String, kind: WeightFileError.Kind = .badEntry) -> WeightFileError {
            WeightFileError(kind, path: path, tensor: name, reason)
        }
        guard case .object = value else { throw bad("the entry must be an object with dtype, shape and data_offsets") }
        guard let dtypeName = value["dtype"]?.stringValue else { throw bad("the entry has no dtype string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw bad("unknown dtype '\(dtypeName)' (expected one of "
                + DType.allCases.map(\.rawValue).joined(separator: ", ") + ")", kind: .unknownDType)
        }
        guard case .array(let dims) = value["shape"] else { throw bad("the entry has no shape array") }
        var shape: [Int] = []
        for dim in dims {
            guard let n = dim.intValue, n >= 0 else {
                throw bad("shape \(value["shape"]!.compactText) must hold non-negative integers")
            }
            shape.append(n)
        }
        guard case .array(let offsets) = value["data_offsets"], offsets.count == 2,
            let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, begin <= end
        else {
            throw bad("data_offsets must be [begin, end] with 0 <= begin <= end, found "
                + (value["data_offsets"]?.compactText ?? "nothing"))
        }
        var bytes = dtype.byteSize
        for n in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: n)
            guard !overflow else { throw bad("shape \(shape) is too large to exist", kind: .byteLengthMismatch) }
            bytes = product
        }
        guard bytes == end - begin else {
            throw bad("dtype \(dtype.rawValue) and shape \(shape) need \(bytes) bytes, "
                + "but data_offsets [\(begin), \(end)] span \(end - begin)", kind: .byteLengthMismatch)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Checks that the tensors tile the data section exactly, in offset order.
    private static func checkLayout(_ entries: [Entry], dataLength: Int, path: String) throws(WeightFileError) {
        let ordered = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        var previous: String?
        for entry in ordered {
            if entry.end > dataLength {
                throw WeightFileError(.truncated, path: path, tensor: entry.name,
                    "data_offsets [\(entry.begin), \(entry.end)] reach past the end of the data section, "
                    + "which is \(dataLength) bytes long (the file is truncated)")
            }
            if entry.begin == entry.end { continue }  // empty tensors occupy no bytes
            if entry.begin < position {
                throw WeightFileError(.offsetsOverlap, path: path, tensor: entry.name,
                    "data_offsets [\(entry.begin), \(entry.end)] overlap tensor '\(previous ?? "?")', "
                    + "which ends at \(position)")
            }
            if entry.begin > position {
                throw WeightFileError(.unusedBytes, path: path, tensor: entry.name,
                    "data starts at \(entry.begin) but the previous tensor ends at \(position): "
                    + "safetensors data must be contiguous")
            }
            position = entry.end
            previous = entry.name
        }
        if position != dataLength {
            throw WeightFileError(.unusedBytes, path: path,
                "the tensors cover \(position) bytes of data but the data section holds \(dataLength) bytes")
        }
    }
}
