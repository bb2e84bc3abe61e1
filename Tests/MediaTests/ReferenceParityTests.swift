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
        let d = differences(image.pixels.scalars, expected)
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
        // Truncation, not rounding: -0.5 -> 63.75 -> level 63 in ltx-core.
        #expect(EightBit.ltx(-0.5) == 63)
        #expect(EightBit.ltx(.nan) == 0)
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
