/// A small PNG writer for tests: any colour type and bit depth, optional Adam7 interlacing,
/// zlib "stored" blocks (no compression needed), and the chunk fields exposed so tests can
/// make damaged files. Independent of libpng, so it checks the reader rather than echoing it.
struct PNGBuilder {
    var width: Int
    var height: Int
    var bitDepth: Int
    /// 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
    var colorType: Int
    var interlaced = false
    /// RGB triples for colour type 3.
    var palette: [UInt8] = []
    /// sample(x, y, channel) for every channel of the colour type (palette: the index).
    var sample: (Int, Int, Int) -> Int

    var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }

    func bytes() -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(width) + be32(height)
        ihdr += [UInt8(bitDepth), UInt8(colorType), 0, 0, interlaced ? 1 : 0]
        out += Self.chunk("IHDR", ihdr)
        if colorType == 3 { out += Self.chunk("PLTE", palette) }
        out += Self.chunk("IDAT", Self.zlibStored(rawScanlines()))
        out += Self.chunk("IEND", [])
        return out
    }

    /// Filter-0 scanlines, pass by pass when interlaced.
    func rawScanlines() -> [UInt8] {
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var data: [UInt8] = []
        for p in passes {
            let xs = Array(stride(from: p.x0, to: width, by: p.dx))
            let ys = Array(stride(from: p.y0, to: height, by: p.dy))
            if xs.isEmpty || ys.isEmpty { continue }
            for y in ys {
                data.append(0)
                var bits: [Int] = []  // samples in order, packed below
                for x in xs { for c in 0..<channels { bits.append(sample(x, y, c)) } }
                data += pack(bits)
            }
        }
        return data
    }

    private func pack(_ samples: [Int]) -> [UInt8] {
        switch bitDepth {
        case 8: return samples.map { UInt8($0) }
        case 16: return samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        default:
            var out: [UInt8] = []
            var acc = 0
            var used = 0
            for s in samples {
                acc = (acc << bitDepth) | s
                used += bitDepth
                if used == 8 { out.append(UInt8(acc)); acc = 0; used = 0 }
            }
            if used > 0 { out.append(UInt8(acc << (8 - used))) }
            return out
        }
    }

    private func be32(_ v: Int) -> [UInt8] { Self.be32(UInt32(truncatingIfNeeded: v)) }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(data.count)) + t + data + be32(crc32(t + data))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65_535, data.count - i)
            let last: UInt8 = i + n >= data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[i..<i + n]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + be32((b << 16) | a)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}
