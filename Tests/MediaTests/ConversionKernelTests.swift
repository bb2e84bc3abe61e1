import CKernels
import Testing

@testable import Media

/// The identity resize (source already at the target size) splits packed RGB into planes
/// with a vector kernel; every value must equal the scalar formula `Float(v) / 127.5 - 1`,
/// whatever the width (vector blocks of 16 pixels plus a scalar tail).
@Suite struct ConversionKernelTests {
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
        // The plain C path (CPUs without AVX2) gives the same bits.
        var portable = [Float](repeating: .nan, count: 3 * plane)
        rgb.withUnsafeBufferPointer { src in
            portable.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                reelflow_rgb24_to_planar_unit_portable(src.baseAddress!, plane, b, b + plane, b + 2 * plane)
            }
        }
        #expect(zip(portable, out).allSatisfy { $0.bitPattern == $1.bitPattern })
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

    /// PyTorch's bilinear order written out in Swift, one value at a time: the reference the
    /// C row kernel (AVX2 gathers and its portable twin) must match bit for bit.
    static func reference(_ plan: ResizeCropPlan, rgb: [UInt8], rowBytes: Int) -> [Float] {
        let plane = plan.width * plan.height
        var out = [Float](repeating: .nan, count: 3 * plane)
        for y in 0..<plan.height {
            let ty = plan.rows[y]
            for x in 0..<plan.width {
                let tx = plan.columns[x]
                for c in 0..<3 {
                    func s(_ row: Int, _ col: Int) -> Float { Float(rgb[row * rowBytes + 3 * col + c]) }
                    var a = s(ty.i0, tx.i0) * tx.w0
                    a += s(ty.i0, tx.i1) * tx.w1
                    var b = s(ty.i1, tx.i0) * tx.w0
                    b += s(ty.i1, tx.i1) * tx.w1
                    var v = a * ty.w0
                    v += b * ty.w1
                    out[c * plane + y * plan.width + x] = v / 127.5 - 1
                }
            }
        }
        return out
    }

    @Test(arguments: [
        (37, 29, 25, 16), (64, 48, 17, 100), (100, 7, 33, 33), (23, 41, 64, 64), (1280, 3, 768, 2), (9, 9, 8, 8),
    ])
    func resizeRowKernelMatchesPyTorchOrderBitForBit(sw: Int, sh: Int, w: Int, h: Int) {
        let plan = ResizeCropPlan(sourceWidth: sw, sourceHeight: sh, width: w, height: h)
        #expect(!plan.isIdentity)
        // A tight buffer (no row padding), so the last row's last pixel ends the allocation:
        // the vector path must not read past it.
        let rowBytes = 3 * sw
        let rgb = (0..<(rowBytes * sh)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 7)) }
        let want = Self.reference(plan, rgb: rgb, rowBytes: rowBytes)
        let plane = w * h
        var got = [Float](repeating: .nan, count: 3 * plane)
        rgb.withUnsafeBufferPointer { src in
            got.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                plan.apply(rgb: src.baseAddress!, sourceRowBytes: rowBytes, red: b, green: b + plane, blue: b + 2 * plane, rowRange: 0..<h)
            }
        }
        let diff = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(diff == 0, "\(diff) of \(got.count) values differ from the reference")
        // The portable kernel too, row by row.
        var portable = [Float](repeating: .nan, count: 3 * plane)
        let i0 = plan.columns.map { Int32($0.i0) }, i1 = plan.columns.map { Int32($0.i1) }
        let w0 = plan.columns.map(\.w0), w1 = plan.columns.map(\.w1)
        rgb.withUnsafeBufferPointer { src in
            portable.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let ty = plan.rows[y], o = y * w
                    reelflow_resize_row_rgb8_portable(
                        src.baseAddress! + ty.i0 * rowBytes, src.baseAddress! + ty.i1 * rowBytes, rowBytes,
                        i0, i1, w0, w1, w, ty.w0, ty.w1, dst.baseAddress! + o, dst.baseAddress! + plane + o,
                        dst.baseAddress! + 2 * plane + o)
                }
            }
        }
        #expect(zip(portable, want).allSatisfy { $0.bitPattern == $1.bitPattern })
    }
}
