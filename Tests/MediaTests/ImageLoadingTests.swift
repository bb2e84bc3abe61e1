import Foundation
import Testing
import Tensors

@testable import Media

@Suite struct ImageLoadingTests {
    static let (width, height) = (19, 13)

    /// 8-bit RGB the decoder must produce for (x, y, c).
    static func rgb(_ x: Int, _ y: Int, _ c: Int) -> Int { (x * 13 + y * 7 + c * 50) % 256 }
    static func gray(_ x: Int, _ y: Int) -> Int { (x * 11 + y * 17) % 256 }

    struct Variant: CustomTestStringConvertible, Sendable {
        let name: String
        let bitDepth: Int
        let colorType: Int
        let interlaced: Bool
        var testDescription: String { name }
    }

    static let variants: [Variant] = [
        Variant(name: "rgb8", bitDepth: 8, colorType: 2, interlaced: false),
        Variant(name: "rgba8", bitDepth: 8, colorType: 6, interlaced: false),
        Variant(name: "rgb16", bitDepth: 16, colorType: 2, interlaced: false),
        Variant(name: "rgba16", bitDepth: 16, colorType: 6, interlaced: false),
        Variant(name: "gray8", bitDepth: 8, colorType: 0, interlaced: false),
        Variant(name: "gray16", bitDepth: 16, colorType: 0, interlaced: false),
        Variant(name: "gray1", bitDepth: 1, colorType: 0, interlaced: false),
        Variant(name: "gray4", bitDepth: 4, colorType: 0, interlaced: false),
        Variant(name: "grayAlpha8", bitDepth: 8, colorType: 4, interlaced: false),
        Variant(name: "palette8", bitDepth: 8, colorType: 3, interlaced: false),
        Variant(name: "palette2", bitDepth: 2, colorType: 3, interlaced: false),
        Variant(name: "rgb8Interlaced", bitDepth: 8, colorType: 2, interlaced: true),
        Variant(name: "palette4Interlaced", bitDepth: 4, colorType: 3, interlaced: true),
        Variant(name: "gray16Interlaced", bitDepth: 16, colorType: 0, interlaced: true),
    ]

    /// The PNG of a variant and the 8-bit RGB its decode must give.
    static func make(_ v: Variant) -> (png: [UInt8], expected: [UInt8]) {
        let maxIndex = (1 << v.bitDepth) - 1
        let paletteSize = min(256, maxIndex + 1)
        var palette: [UInt8] = []
        for i in 0..<paletteSize {
            let r: Int = (i * 37) % 256
            let g: Int = (i * 91 + 5) % 256
            let b: Int = 255 - (i * 53) % 256
            palette += [UInt8(r), UInt8(g), UInt8(b)]
        }
        func index(_ x: Int, _ y: Int) -> Int { (x + 3 * y) % paletteSize }
        let builder = PNGBuilder(
            width: width, height: height, bitDepth: v.bitDepth, colorType: v.colorType, interlaced: v.interlaced,
            palette: palette
        ) { x, y, c in
            switch v.colorType {
            case 3: return index(x, y)
            case 0, 4:
                if c == 1 { return (x * y) % (maxIndex + 1) }  // alpha
                if v.bitDepth < 8 { return gray(x, y) % (maxIndex + 1) }
                return v.bitDepth == 16 ? gray(x, y) * 256 + (x * 5 % 256) : gray(x, y)
            default:
                if c == 3 { return (x * y * 7) % (maxIndex + 1) }  // alpha
                return v.bitDepth == 16 ? rgb(x, y, c) * 256 + (y * 9 % 256) : rgb(x, y, c)
            }
        }
        var expected: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    switch v.colorType {
                    case 3: expected.append(palette[index(x, y) * 3 + c])
                    case 0, 4:
                        // Low bit depths scale to 8 bits by bit replication (1 -> 255, 4 -> x17).
                        let g = v.bitDepth < 8 ? gray(x, y) % (maxIndex + 1) * (255 / maxIndex) : gray(x, y)
                        expected.append(UInt8(g))
                    default: expected.append(UInt8(rgb(x, y, c)))
                    }
                }
            }
        }
        return (builder.bytes(), expected)
    }

    static func planar(_ rgb: [UInt8]) -> [Float] {
        let n = rgb.count / 3
        return (0..<3).flatMap { c in (0..<n).map { Synthetic.normalised(rgb[$0 * 3 + c]) } }
    }

    @Test(arguments: variants)
    func pngVariantDecodesExactly(_ v: Variant) throws {
        let dir = try TemporaryDirectory()
        let (png, expected) = Self.make(v)
        let path = try dir.write("\(v.name).png", png)
        let image = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 0))
        #expect(image.pixels.shape == [1, 3, 1, Self.height, Self.width])
        #expect(image.pixels.hostScalars() == Self.planar(expected))
        #expect(image.source.bitDepth == v.bitDepth)
        #expect(image.source.interlaced == v.interlaced)
        #expect(image.source.hasAlpha == (v.colorType == 4 || v.colorType == 6))
        #expect(image.source.channels == [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][v.colorType])
    }

    /// Encodes the RGB8 pattern with an FFmpeg image encoder.
    static func ffmpegImage(_ dir: TemporaryDirectory, name: String, spec: EncoderSpec) throws -> (String, [UInt8]) {
        let (w, h) = (32, 24)
        var rgb: [UInt8] = []
        var pixels = [Float](repeating: 0, count: 3 * w * h)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 {
            let v: Int = 40 + x * 3 + y * 2 + c * 20  // smooth, no wrap: fair to lossy codecs
            rgb.append(UInt8(v))
            pixels[c * w * h + y * w + x] = (Float(v) + 0.5) / 127.5 - 1
        } } }
        let path = dir.path(name)
        try MediaWriter.encode(
            Tensor(shape: [1, 3, 1, h, w], scalars: pixels), frames: 1, width: w, height: h, to: path,
            reportedPath: path, spec: spec, fps: 1, threads: 1)
        return (path, rgb.map { EightBit.ltx((Float($0) + 0.5) / 127.5 - 1) })
    }

    @Test func jpegThroughFFmpeg() throws {
        let dir = try TemporaryDirectory()
        let spec = EncoderSpec(codecName: "mjpeg", pixelFormat: FFmpeg.pixelFormat(named: "yuvj444p")!, options: ["qmin": "1", "qmax": "1"], container: "mjpeg")
        let (path, rgb) = try Self.ffmpegImage(dir, name: "picture.jpg", spec: spec)
        let image = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 0))
        #expect(image.pixels.shape == [1, 3, 1, 24, 32])
        #expect(image.source.format == "mjpeg")
        #expect(image.source.bitDepth == 8)
        #expect(image.source.channels == 3)
        #expect(differences(image.pixels.hostScalars(), Self.planar(rgb)).mean < 3 / 127.5)
    }

    @Test func webpThroughFFmpegWithAlphaDropped() throws {
        let dir = try TemporaryDirectory()
        let spec = EncoderSpec(codecName: "libwebp", pixelFormat: FFmpeg.pixelFormat(named: "yuva420p")!, options: ["quality": "100"], container: "webp")
        let (path, rgb) = try Self.ffmpegImage(dir, name: "picture.webp", spec: spec)
        let image = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 0))
        #expect(image.source.format == "webp")
        #expect(image.pixels.shape == [1, 3, 1, 24, 32])
        #expect(differences(image.pixels.hostScalars(), Self.planar(rgb)).mean < 4 / 127.5)
    }

    @Test func crfRoundTripIsLossyAndSwitchable() throws {
        let dir = try TemporaryDirectory()
        let rgbBytes = try Fixtures.bytes("resize_input.rgb")  // 37x29: odd on both axes
        let path = try dir.write("odd.png", PNGBuilder(width: 37, height: 29, bitDepth: 8, colorType: 2) { x, y, c in
            40 + (x * 3 + y * 2 + c * 20) % 150
        }.bytes())
        _ = rgbBytes
        let exact = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 0))
        let trip = try MediaLoader.loadImage(path: path)  // default CRF 33
        #expect(exact.pixels.shape == [1, 3, 1, 29, 37])
        // ltx-pipelines crops to an even size before the encode.
        #expect(trip.pixels.shape == [1, 3, 1, 28, 36])
        var cropped: [Float] = []
        let e = exact.pixels.hostScalars()
        for c in 0..<3 { for y in 0..<28 { for x in 0..<36 { cropped.append(e[c * 37 * 29 + y * 37 + x]) } } }
        let d = differences(trip.pixels.hostScalars(), cropped)
        #expect(d.max > 0, "CRF 33 must change some pixels")
        #expect(d.mean < 6 / 127.5, "mean abs difference \(d.mean)")
        let lighter = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 10))
        #expect(differences(lighter.pixels.hostScalars(), cropped).mean < d.mean)
        // With a target size the round trip's output is then resized like any image.
        let sized = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(size: PixelSize(width: 16, height: 16)))
        #expect(sized.pixels.shape == [1, 3, 1, 16, 16])
    }
}
