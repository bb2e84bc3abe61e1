import CKernels
import Foundation
import Testing
import Tensors

@testable import Media

/// Values produced by ltx-pipelines' own functions (tools/reference/make_media_fixtures.py).
@Suite struct ReferenceParityTests {
    static let cases: [(h: Int, w: Int)] = [(16, 24), (29, 37), (64, 48), (8, 40), (30, 30), (100, 17)]

    /// The 37x29 fixture pattern as a PNG written by the test's own encoder.
    static func patternPNG(in dir: TemporaryDirectory) throws -> String {
        let rgb = try Fixtures.bytes("resize_input.rgb")
        #expect(rgb.count == 37 * 29 * 3)
        let png = PNGBuilder(width: 37, height: 29, bitDepth: 8, colorType: 2) { x, y, c in Int(rgb[(y * 37 + x) * 3 + c]) }
        return try dir.write("pattern.png", png.bytes())
    }

    @Test(arguments: cases)
    func resizeAndCropMatchLTXPipelines(h: Int, w: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try Self.patternPNG(in: dir)
        let image = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(size: PixelSize(width: w, height: h), crf: 0))
        let expected = try Fixtures.floats("resize_\(h)x\(w).f32")
        #expect(image.pixels.shape == [1, 3, 1, h, w])
        let d = differences(image.pixels.hostScalars(), expected)
        // PyTorch's kernel may fuse multiply-adds; that moves the last bit or two of a float.
        #expect(d.max < 2e-6, "max abs difference \(d.max) for \(h)x\(w)")
    }

    @Test func sanityMutationBreaksParity() throws {
        // Shifting the crop by one column must be caught by the comparison above.
        let rgb = try Fixtures.bytes("resize_input.rgb")
        let expected = try Fixtures.floats("resize_16x24.f32")
        let plan = ResizeCropPlan(sourceWidth: 37, sourceHeight: 29, width: 25, height: 16)
        var planes = [Float](repeating: 0, count: 3 * 25 * 16)
        rgb.withUnsafeBufferPointer { src in
            planes.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                plan.apply(rgb: src.baseAddress!, sourceRowBytes: 37 * 3, red: b, green: b + 400, blue: b + 800, rowRange: 0..<16)
            }
        }
        // Drop the first column of the 25-wide crop: a different window of the same resize.
        var shifted: [Float] = []
        for c in 0..<3 { for y in 0..<16 { for x in 1..<25 { shifted.append(planes[c * 400 + y * 25 + x]) } } }
        #expect(differences(shifted, expected).max > 0.05)
    }

    @Test func eightBitConversionMatchesLTXCore() throws {
        let input = try Fixtures.floats("eightbit_input.f32")
        let expected = try Fixtures.bytes("eightbit_output.u8")
        #expect(input.count == expected.count)
        let got = input.map(EightBit.ltx)
        let mismatches = zip(got, expected).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5).map { "x=\(input[$0.offset]) got \($0.element.0) want \($0.element.1)" })")
        // The table-driven packing used by Save gives the same bytes.
        let n = input.count / 3
        let planar = Tensor(shape: [1, 3, 1, 1, n], scalars: Array(input.prefix(3 * n)))
        var packed = [UInt8](repeating: 0, count: 3 * n)
        planar.withHostScalars { src in
            packed.withUnsafeMutableBufferPointer { dst in
                EightBit.packedFrame(src, frames: 1, frame: 0, width: n, height: 1, rowBytes: 3 * n, into: dst.baseAddress!)
            }
        }
        let interleaved = (0..<n).flatMap { i in (0..<3).map { c in expected[c * n + i] } }
        #expect(packed == interleaved)
        // Truncation, not rounding: -0.5 -> 63.75 -> level 63 in ltx-core.
        #expect(EightBit.ltx(-0.5) == 63)
        #expect(EightBit.ltx(.nan) == 0)
    }

    /// The eight-wide packing (`ltx8`, bf16 rounding on bit patterns) against the scalar
    /// `ltx` on every bf16 value, each with the low 16 bits at the rounding edges (0, the
    /// largest below half, half, just above half, all ones): NaNs, infinities, values that
    /// round up to infinity, negative zero and every truncation step included.
    /// The packing kernel (AVX2 eight pixels at a time, scalar for the rest) against the
    /// scalar Swift `ltx` on every bf16 value with five kinds of low bits (exact, just
    /// below, at and just above the rounding tie, all ones): NaNs, infinities, denormals,
    /// both zeros and every rounding edge.
    @Test func packingKernelMatchesScalarOnEveryBF16Edge() {
        var mismatches: [String] = []
        for low: UInt32 in [0, 0x7FFF, 0x8000, 0x8001, 0xFFFF] {
            let values = (0..<65536).map { Float(bitPattern: (UInt32($0) << 16) | low) }
            // Shifted copies in the other channels, so each channel sees every value in
            // every lane position.
            let g = Array(values[1...] + values.prefix(1)), b = Array(values[5...] + values.prefix(5))
            var out = [UInt8](repeating: 0xAB, count: 3 * 65536)
            reelflow_pack_rgb8_ltx(values, g, b, 65536, &out)
            var portable = [UInt8](repeating: 0xCD, count: 3 * 65536)
            reelflow_pack_rgb8_ltx_portable(values, g, b, 65536, &portable)
            if portable != out { mismatches.append("low \(low): the plain C path differs from the AVX2 path") }
            for i in 0..<65536 where mismatches.count < 5 {
                for (c, plane) in [values, g, b].enumerated() where out[3 * i + c] != EightBit.ltx(plane[i]) {
                    mismatches.append("bits \(String(plane[i].bitPattern, radix: 16)): \(out[3 * i + c]) want \(EightBit.ltx(plane[i]))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// Whole frames through `packedFrame` (vector blocks, then the scalar tail of each row,
    /// in tight buffers) equal `ltx` on every value, and nothing is written past the rows.
    @Test(arguments: [(16, 2), (19, 3), (8, 1), (5, 2)])
    func packedFrameMatchesScalarOnWholeFrames(width: Int, height: Int) {
        let n = 3 * width * height
        let values = (0..<n).map { Float($0 * 37 % 211) / 105 - 1.003 }
        let t = Tensor(shape: [1, 3, 1, height, width], scalars: values)
        var out = [UInt8](repeating: 0xAB, count: n + 4)
        t.withHostScalars { src in
            out.withUnsafeMutableBufferPointer { dst in
                EightBit.packedFrame(src, frames: 1, frame: 0, width: width, height: height, rowBytes: 3 * width, into: dst.baseAddress!)
            }
        }
        let plane = width * height
        let want = (0..<plane).flatMap { i in (0..<3).map { c in EightBit.ltx(values[c * plane + i]) } }
        #expect(Array(out.prefix(n)) == want)
        #expect(out.suffix(4) == [0xAB, 0xAB, 0xAB, 0xAB])
    }

    @Test func crfRoundTripMatchesLTXPipelinesPreprocess() throws {
        let input = try Fixtures.bytes("crf_input.rgb")
        let expected = try Fixtures.bytes("crf33_output.rgb")
        let out = try CRFRoundTrip.apply(RGB8Image(width: 37, height: 29, bytes: input), crf: 33, path: "crf_input.rgb")
        #expect(out.width == 36 && out.height == 28)
        // Bit-identical with the x264 builds checked so far (Debian 12's and PyAV 18's); allow
        // a level of drift for other x264 versions, far below what CRF 33 itself changes.
        let diffs = zip(out.bytes, expected).map { abs(Int($0) - Int($1)) }
        #expect(diffs.max()! <= 2)
        #expect(Double(diffs.reduce(0, +)) / Double(diffs.count) < 0.1)
    }

    @Test func videoLoaderMatchesLTXPipelinesOnAPyAVClip() throws {
        guard let url = Bundle.module.url(forResource: "Fixtures/clip_64x48", withExtension: "mp4") else {
            Issue.record("fixture clip missing")
            return
        }
        let video = try MediaLoader.loadVideo(
            path: url.path, options: VideoLoadOptions(size: PixelSize(width: 40, height: 32), frameCap: 5))
        #expect(video.pixels.shape == [1, 3, 5, 32, 40])
        #expect(video.fps == 24)
        let expected = try Fixtures.floats("clip_64x48_to_32x40.f32")
        let d = differences(video.pixels.hostScalars(), expected)
        // Same decoder output and conversion give the same 8-bit frames; a one-level drift of
        // libswscale between FFmpeg versions would show as at most 1/127.5.
        #expect(d.max <= 1.01 / 127.5, "max abs difference \(d.max)")
        #expect(d.mean < 0.05 / 127.5, "mean abs difference \(d.mean)")
    }

    @Test func frameCountRules() {
        #expect(FrameCountRule.truncateTo8kPlus1.frameCount(from: 80) == 73)
        #expect(FrameCountRule.truncateTo8kPlus1.frameCount(from: 81) == 81)
        #expect(FrameCountRule.truncateTo8kPlus1.frameCount(from: 8) == 1)
        #expect(FrameCountRule.padTo8kPlus1.frameCount(from: 80) == 81)
        #expect(FrameCountRule.padTo8kPlus1.frameCount(from: 81) == 81)
        #expect(FrameCountRule.padTo8kPlus1.frameCount(from: 2) == 9)
        #expect(FrameCountRule.asDecoded.frameCount(from: 80) == 80)
    }
}
