import Testing

@testable import Media

/// The identity resize (source already at the target size) splits packed RGB into planes
/// with a vector kernel; every value must equal the scalar formula `Float(v) / 127.5 - 1`,
/// whatever the width (vector blocks of 16 pixels plus a scalar tail).
@Suite struct NormalisationTests {
    @Test(arguments: [1, 5, 15, 16, 17, 31, 32, 33, 86, 100])
    func identityPlanMatchesTheScalarFormulaBitForBit(width: Int) {
        let height = 3
        // Every byte value appears in every channel position across the rows.
        let rgb = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 256) }
        let plan = ResizeCropPlan(sourceWidth: width, sourceHeight: height, width: width, height: height)
        #expect(plan.isIdentity)
        let plane = width * height
        var out = [Float](repeating: .nan, count: 3 * plane)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                plan.apply(rgb: src.baseAddress!, sourceRowBytes: width * 3, red: b, green: b + plane, blue: b + 2 * plane, rowRange: 0..<height)
            }
        }
        var mismatches: [String] = []
        for p in 0..<plane {
            for c in 0..<3 {
                let v = rgb[3 * p + c]
                let want = Float(v) / 127.5 - 1
                let got = out[c * plane + p]
                if got.bitPattern != want.bitPattern { mismatches.append("pixel \(p) channel \(c) byte \(v): got \(got), want \(want)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(3))")
    }

    @Test func everyByteValueConvertsExactly() {
        // 256 pixels whose red, green and blue run through all byte values in three phases.
        var rgb: [UInt8] = []
        for v in 0..<256 { rgb += [UInt8(v), UInt8(255 - v), UInt8((v * 3) & 255)] }
        let plan = ResizeCropPlan(sourceWidth: 256, sourceHeight: 1, width: 256, height: 1)
        var out = [Float](repeating: .nan, count: 3 * 256)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                plan.apply(rgb: src.baseAddress!, sourceRowBytes: 256 * 3, red: b, green: b + 256, blue: b + 512, rowRange: 0..<1)
            }
        }
        for i in 0..<(3 * 256) {
            let byte = rgb[3 * (i % 256) + i / 256]
            #expect(out[i].bitPattern == (Float(byte) / 127.5 - 1).bitPattern, "byte \(byte)")
        }
    }
}
