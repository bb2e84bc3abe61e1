import Foundation
import Tensors

/// A fresh directory under the system temp dir, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("reelflow-media-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// Reads files from the test bundle's Fixtures directory (made by
/// tools/reference/make_media_fixtures.py).
enum Fixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return [UInt8](try Data(contentsOf: url))
    }

    /// Little-endian float32 values.
    static func floats(_ name: String) throws -> [Float] {
        let b = try bytes(name)
        return stride(from: 0, to: b.count, by: 4).map { i in
            Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
    }
}

/// Synthetic pictures with content a codec keeps reasonably well (smooth, moving gradients).
enum Synthetic {
    /// 8-bit value of channel `c` at (x, y) in frame `f`.
    static func value(_ c: Int, x: Int, y: Int, f: Int, width: Int, height: Int) -> UInt8 {
        switch c {
        case 0: return UInt8((x * 200 / max(1, width - 1) + 4 * f + 20) % 256)
        case 1: return UInt8((y * 180 / max(1, height - 1) + 30) % 256)
        default: return UInt8(((x + y) * 100 / max(1, width + height - 2) + 60 + 8 * f) % 256)
        }
    }

    /// `[1, 3, F, H, W]` in [-1, 1], exactly representable as the 8-bit values above: the
    /// float `v / 127.5 - 1` converts back to `v` through ltx's truncating conversion only if
    /// nudged up a little, so use the centre of the 8-bit bin.
    static func video(frames: Int, width: Int, height: Int) -> Tensor {
        var s = [Float](repeating: 0, count: 3 * frames * width * height)
        for c in 0..<3 {
            for f in 0..<frames {
                for y in 0..<height {
                    for x in 0..<width {
                        let v = Float(value(c, x: x, y: y, f: f, width: width, height: height))
                        s[((c * frames + f) * height + y) * width + x] = (v + 0.5) / 127.5 - 1
                    }
                }
            }
        }
        return Tensor(shape: [1, 3, frames, height, width], scalars: s)
    }

    /// The normalised value the loader should give for the 8-bit value `v`.
    static func normalised(_ v: UInt8) -> Float { Float(v) / 127.5 - 1 }
}

/// Compares two float arrays: returns (max abs difference, mean abs difference).
func differences(_ a: [Float], _ b: [Float]) -> (max: Float, mean: Float) {
    precondition(a.count == b.count)
    var mx: Float = 0
    var sum: Double = 0
    for i in a.indices {
        let d = abs(a[i] - b[i])
        mx = max(mx, d)
        sum += Double(d)
    }
    return (mx, Float(sum / Double(max(1, a.count))))
}
