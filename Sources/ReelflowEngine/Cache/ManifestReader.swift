import Foundation

/// A fast reader for the manifests the store itself writes, used by `lookup` on the hot path
/// of a cached rerun (Foundation's `JSONDecoder` costs several times the file system calls a
/// lookup needs; see docs/benchmarks.md).
///
/// It parses standard JSON into a small value tree and maps it onto `CacheManifest`. It
/// returns nil on anything unexpected, and the caller then falls back to `JSONDecoder`,
/// which stays the authority on what is valid and words the error for a damaged manifest.
enum ManifestReader {
    static func read(_ bytes: [UInt8]) -> CacheManifest? {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(bytes: buffer)
            guard let value = parser.document() else { return nil }
            return manifest(value)
        }
    }

    // Not `indirect`: objects and arrays already live in heap storage, and boxing every
    // scalar would cost an allocation each.
    enum Value {
        /// Fields in file order; objects here have a dozen keys, so a linear search beats hashing.
        case object(Fields)
        case array([Value])
        case string(String)
        /// An integer that fits `Int`, parsed while scanning.
        case integer(Int)
        /// Any other number, kept as text.
        case number(Substring)
        case bool(Bool)
        case null
    }

    // MARK: Mapping

    struct Fields {
        var pairs: [(name: String, value: Value)] = []

        subscript(_ name: String) -> Value? {
            for pair in pairs where pair.name == name { return pair.value }
            return nil
        }
    }

    private static func manifest(_ value: Value) -> CacheManifest? {
        guard case .object(let o) = value,
              let format = int(o["format"]), format == CacheManifest.currentFormat,
              let key = digest(o["key"]), let nodeID = string(o["nodeID"]), let nodeType = string(o["nodeType"]),
              let nodeVersion = int(o["nodeVersion"]), let params = string(o["params"]),
              case .object(let inputsObject)? = o["inputs"], case .object(let filesObject)? = o["files"],
              case .object(let outputsObject)? = o["outputs"],
              let duration = double(o["durationSeconds"]), let created = date(o["created"]),
              let engineVersion = string(o["engineVersion"])
        else { return nil }
        var graphFile: String? = nil
        switch o["graphFile"] {
        case nil, .null?: break
        case .string(let s)?: graphFile = s
        default: return nil
        }
        var inputs: [String: Digest] = [:]
        for (name, value) in inputsObject.pairs {
            guard let d = digest(value) else { return nil }
            inputs[name] = d
        }
        var files: [String: FileFingerprint] = [:]
        for (name, value) in filesObject.pairs {
            guard case .object(let f) = value, let path = string(f["path"]), let size = int(f["size"]),
                  let mtime = int(f["modifiedNanoseconds"]) else { return nil }
            var contentDigest: Digest? = nil
            switch f["contentDigest"] {
            case nil, .null?: break
            case let d?: guard let parsed = digest(d) else { return nil }; contentDigest = parsed
            }
            files[name] = FileFingerprint(path: path, size: Int64(size), modifiedNanoseconds: Int64(mtime),
                                          contentDigest: contentDigest)
        }
        var outputs: [String: CacheOutput] = [:]
        for (name, value) in outputsObject.pairs {
            guard case .object(let f) = value, let d = digest(f["digest"]), let size = int(f["size"]),
                  let portType = string(f["portType"]), let encoding = string(f["encoding"]) else { return nil }
            outputs[name] = CacheOutput(digest: d, size: Int64(size), portType: portType, encoding: encoding)
        }
        var manifest = CacheManifest(
            key: key, nodeID: nodeID, nodeType: nodeType, nodeVersion: nodeVersion, params: params,
            inputs: inputs, files: files, outputs: outputs, durationSeconds: duration, created: created,
            engineVersion: engineVersion, graphFile: graphFile)
        manifest.format = format
        return manifest
    }

    private static func string(_ v: Value?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    private static func int(_ v: Value?) -> Int? {
        if case .integer(let n)? = v { return n }
        return nil
    }

    private static func double(_ v: Value?) -> Double? {
        switch v {
        case .integer(let n)?: return Double(n)
        case .number(let text)?: return Double(text)
        default: return nil
        }
    }

    private static func digest(_ v: Value?) -> Digest? {
        if case .string(let s)? = v { return Digest(hex: s) }
        return nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as `JSONEncoder`'s `.iso8601` writes; nil for anything else.
    private static func date(_ v: Value?) -> Date? {
        guard case .string(let s)? = v else { return nil }
        let u = Array(s.utf8)
        guard u.count == 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
              u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"), u[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard u[i] >= UInt8(ascii: "0"), u[i] <= UInt8(ascii: "9") else { return nil }
                n = n * 10 + Int(u[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    // MARK: Parsing

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        var depth = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func document() -> Value? {
            guard let v = value() else { return nil }
            skipSpace()
            return i == bytes.count ? v : nil
        }

        private mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        private mutating func value() -> Value? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        private mutating func literal(_ word: StaticString, _ result: Value) -> Value? {
            let count = word.utf8CodeUnitCount
            guard i + count <= bytes.count else { return nil }
            for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return nil }
            i += count
            return result
        }

        private mutating func object() -> Value? {
            depth += 1
            defer { depth -= 1 }
            guard depth < 32 else { return nil }
            i += 1
            var fields = Fields()
            fields.pairs.reserveCapacity(16)
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let name = string() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value() else { return nil }
                fields.pairs.append((name, v))
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                return nil
            }
        }

        private mutating func array() -> Value? {
            depth += 1
            defer { depth -= 1 }
            guard depth < 32 else { return nil }
            i += 1
            var items: [Value] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                guard let v = value() else { return nil }
                items.append(v)
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                return nil
            }
        }

        /// A string starting at the opening quote; escapes decoded, UTF-8 validated.
        private mutating func string() -> String? {
            i += 1
            let start = i
            // Fast path: no escapes.
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return Self.text(UnsafeBufferPointer(rebasing: bytes[start..<i]))
            }
            var out = Array(bytes[start..<i])
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return out.withUnsafeBufferPointer(Self.text)
                }
                guard c >= 0x20 else { return nil }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                        else { return nil }
                        i += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: return nil
                }
            }
            return nil
        }

        /// UTF-8 bytes as a `String`, nil when they are not valid UTF-8. ASCII (nearly every
        /// manifest) skips the generic validating initialiser, which dominated the profile.
        private static func text(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }

        private mutating func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        /// A JSON number: an `Int` when it is a plain integer that fits, else its text (the
        /// grammar is checked here, the value by the mapper).
        private mutating func number() -> Value? {
            let start = i
            var negative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var magnitude = 0
            var fits = true
            let digitsStart = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(Int(bytes[i] - UInt8(ascii: "0")))
                fits = fits && !o1 && !o2
                magnitude = m2
                i += 1
            }
            // JSON forbids leading zeros ("01").
            guard i > digitsStart, bytes[digitsStart] != UInt8(ascii: "0") || i == digitsStart + 1 else { return nil }
            var integral = true
            func digits() -> Bool {
                let from = i
                while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
                return i > from
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                integral = false
                guard digits() else { return nil }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                integral = false
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() else { return nil }
            }
            if integral && fits { return .integer(negative ? -magnitude : magnitude) }
            return .number(Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
        }
    }
}
