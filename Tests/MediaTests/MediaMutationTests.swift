import Foundation
import ReelflowTestSupport
import Testing
import Tensors

@testable import Media

/// Seeded mutation fuzzing of the decoders: damaged variants of a valid PNG (with chunk
/// CRCs recomputed, so libpng gets past its checksum check and into the pixel data) and of
/// a valid H.264 MP4. Each must either load or fail with a `MediaError` naming the file;
/// a crash, a hang or a `longjmp` across Swift frames would end the test process.
@Suite struct MediaMutationTests {
    /// Splits a PNG into chunks (type and data), keeping the 8-byte signature apart.
    static func chunks(_ png: [UInt8]) -> [(type: [UInt8], data: [UInt8])] {
        var out: [(type: [UInt8], data: [UInt8])] = []
        var i = 8
        while i + 12 <= png.count {
            let length = png[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
            guard i + 12 + length <= png.count else { break }
            out.append((Array(png[i + 4..<i + 8]), Array(png[i + 8..<i + 8 + length])))
            i += 12 + length
        }
        return out
    }

    static func assemble(_ chunks: [(type: [UInt8], data: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for c in chunks {
            out += PNGBuilder.be32(UInt32(c.data.count)) + c.type + c.data + PNGBuilder.be32(PNGBuilder.crc32(c.type + c.data))
        }
        return out
    }

    @Test(arguments: [(2, 8), (3, 8), (6, 16), (0, 16)])
    func mutatedPNGsLoadOrFailCleanly(colorType: Int, bitDepth: Int) throws {
        let dir = try TemporaryDirectory()
        var builder = PNGBuilder(width: 13, height: 9, bitDepth: bitDepth, colorType: colorType, interlaced: colorType == 6) { x, y, c in
            (x * 37 + y * 11 + c * 5) % (colorType == 3 ? 4 : 1 << bitDepth)
        }
        if colorType == 3 { builder.palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] }
        let valid = Self.chunks(builder.bytes())
        _ = try MediaLoader.loadImage(path: try dir.write("valid.png", Self.assemble(valid)), options: ImageLoadOptions(crf: 0))
        var rng = SeededRandom(seed: UInt64(colorType * 100 + bitDepth))
        var loaded = 0, rejected = 0
        for i in 0..<300 {
            var chunks = valid
            let k = Int.random(in: 0..<chunks.count, using: &rng)
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !chunks[k].data.isEmpty {
                let at = Int.random(in: 0..<chunks[k].data.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: chunks[k].data[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: chunks[k].data.remove(at: at)
                case 2: chunks[k].data.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                default: chunks[k].data[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
            }
            let path = try dir.write("mutant-\(i % 4).png", Self.assemble(chunks))
            do {
                let image = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 0))
                #expect(image.pixels.hostScalars().allSatisfy { $0 >= -1 && $0 <= 1 })
                loaded += 1
            } catch {
                #expect(error.path == path && !error.problem.isEmpty, "\(error)")
                rejected += 1
            }
        }
        #expect(rejected > 30 && loaded > 0, "rejected \(rejected), loaded \(loaded)")
    }

    @Test func mutatedVideosLoadOrFailCleanly() throws {
        let dir = try TemporaryDirectory()
        let valid = try Fixtures.bytes("clip_64x48.mp4")
        var rng = SeededRandom(seed: 48)
        var loaded = 0, rejected = 0
        for i in 0..<150 {
            var b = valid
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                default: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...64, using: &rng)))
                }
            }
            let path = try dir.write("mutant-\(i % 4).mp4", b)
            do {
                let video = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(frameCap: 8))
                #expect(video.pixels.shape[2] >= 1)
                loaded += 1
            } catch {
                #expect(error.path == path && !error.problem.isEmpty, "\(error)")
                rejected += 1
            }
        }
        #expect(rejected > 5 && loaded > 5, "rejected \(rejected), loaded \(loaded)")
    }
}
