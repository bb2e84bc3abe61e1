import Foundation
import Testing
import Tensors

@testable import Media

/// Every bad-input case of issue 4 with a file the test makes: a clear `MediaError` naming the
/// file and the problem, never a crash. Loading and inspecting fail the same way.
@Suite struct BadInputTests {
    /// Loads `path` as video, as image and inspects it; all three must throw `kind` with the
    /// path in the message and every fragment in `mentions`.
    static func expectFailure(
        _ path: String, kind: MediaError.Kind, mentions: [String], image: Bool = true, video: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var errors: [MediaError] = []
        if video { do { _ = try MediaLoader.loadVideo(path: path) } catch { errors.append(error) } }
        if image { do { _ = try MediaLoader.loadImage(path: path) } catch { errors.append(error) } }
        do { _ = try MediaInspection.report(path: path) } catch { errors.append(error) }
        #expect(errors.count == 1 + (image ? 1 : 0) + (video ? 1 : 0), "every call must throw", sourceLocation: sourceLocation)
        for e in errors {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.hasPrefix(path + ": "), "\(e)", sourceLocation: sourceLocation)
            for m in mentions { #expect(e.description.contains(m), "\(e) should mention \(m)", sourceLocation: sourceLocation) }
        }
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("nowhere.mp4")
        Self.expectFailure(path, kind: .unreadable, mentions: ["No such file or directory"])
        let message = "\(path): libavformat error -2 (No such file or directory) while opening the file"
        #expect { _ = try MediaLoader.loadVideo(path: path) } throws: { "\($0)" == message }
        #expect { _ = try MediaLoader.loadImage(path: path) } throws: { "\($0)" == message }
        #expect { _ = try MediaInspection.report(path: path) } throws: { "\($0)" == message }
    }

    @Test func notMedia() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("notes.mp4", Array("These are meeting notes, not a video.\n".utf8))
        Self.expectFailure(path, kind: .invalidData, mentions: ["Invalid data", "not a media file FFmpeg can read"])
    }

    @Test func emptyFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("empty.mov", [])
        Self.expectFailure(path, kind: .invalidData, mentions: ["while opening the file"])
    }

    @Test func truncatedMP4() throws {
        // x264's MP4 keeps its index (moov) at the end: cutting the file loses it.
        let dir = try TemporaryDirectory()
        let clip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: VideoRoundTripTests.clip(in: dir))))
        let path = try dir.write("cut.mp4", Array(clip.prefix(clip.count * 6 / 10)))
        Self.expectFailure(path, kind: .invalidData, mentions: ["truncated or damaged"])
    }

    @Test func truncatedMatroskaStream() throws {
        // Matroska writes its header first: the cut file opens, and the stream ends early.
        let dir = try TemporaryDirectory()
        let clip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: VideoRoundTripTests.clip(in: dir, name: "c.mkv"))))
        let path = try dir.write("cut.mkv", Array(clip.prefix(clip.count * 6 / 10)))
        Self.expectFailure(path, kind: .invalidData, mentions: ["truncated or damaged", "declares 10 frames", "only 5"], image: false)
    }

    @Test func corruptStream() throws {
        let dir = try TemporaryDirectory()
        var clip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: VideoRoundTripTests.clip(in: dir))))
        for i in (clip.count / 3)..<(clip.count * 2 / 3) { clip[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let path = try dir.write("garbled.mp4", clip)
        Self.expectFailure(path, kind: .invalidData, mentions: ["libavcodec error", "Invalid data", "of the video stream"], image: false)
    }

    @Test func zeroFrames() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("zero.mkv")
        try MediaWriter.encode(
            Tensor(zeros: [1, 3, 0, 48, 64]), frames: 0, width: 64, height: 48, to: path, reportedPath: path,
            spec: .h264(crf: 20, preset: "ultrafast"), fps: 24, threads: 1)
        Self.expectFailure(path, kind: .empty, mentions: ["ends before any media data"])
        // MP4 drops a track that never got a sample: the file has no video stream at all.
        let mp4 = dir.path("zero.mp4")
        try MediaWriter.encode(
            Tensor(zeros: [1, 3, 0, 48, 64]), frames: 0, width: 64, height: 48, to: mp4, reportedPath: mp4,
            spec: .h264(crf: 20, preset: "ultrafast"), fps: 24, threads: 1)
        Self.expectFailure(mp4, kind: .empty, mentions: ["the file has no video stream"])
    }

    @Test func startBeyondTheLastFrame() throws {
        let dir = try TemporaryDirectory()
        let path = try VideoRoundTripTests.clip(in: dir, frames: 4)
        #expect {
            _ = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(startFrame: 4))
        } throws: { e in
            (e as? MediaError)?.description == "\(path): the video stream has 4 frames, none at or after start frame 4"
        }
    }

    @Test func absurdDimensionsInAPNGHeader() throws {
        let dir = try TemporaryDirectory()
        var png = PNGBuilder(width: 2, height: 2, bitDepth: 8, colorType: 2) { _, _, _ in 0 }.bytes()
        // Rewrite IHDR to declare 100000 x 100000 (a 30 GB image) with a valid CRC.
        let ihdr = PNGBuilder.be32(100_000) + PNGBuilder.be32(100_000) + [8, 2, 0, 0, 0]
        png.replaceSubrange(8..<33, with: PNGBuilder.chunk("IHDR", ihdr))
        let path = try dir.write("huge.png", png)
        // LoadImage and inspect read PNG through libpng; LoadVideo goes through FFmpeg.
        Self.expectFailure(path, kind: .absurdDimensions, mentions: ["100000x100000", "at most 16384"], video: false)
        #expect(throws: MediaError.self) { _ = try MediaLoader.loadVideo(path: path) }
    }

    @Test func absurdDimensionsInAVideoHeader() throws {
        let dir = try TemporaryDirectory()
        let header = Array("YUV4MPEG2 W20000 H16 F25:1 C420jpeg\nFRAME\n".utf8)
        let path = try dir.write("wide.y4m", header + [UInt8](repeating: 128, count: 20000 * 16 * 3 / 2))
        Self.expectFailure(path, kind: .absurdDimensions, mentions: ["20000x16"])
    }

    @Test func unsupportedPixelFormat() throws {
        // No container this FFmpeg writes keeps a pixel format libswscale cannot read (they
        // are hardware or bit-packed formats), so the converter is asked directly.
        let bgr4 = try #require(FFmpeg.pixelFormat(named: "bgr4"))
        #expect(!FFmpeg.canConvert(bgr4))
        #expect {
            _ = try Scaler(width: 16, height: 8, from: bgr4, to: FFmpeg.rgb24, path: "clip.nut")
        } throws: { e in
            let e = e as? MediaError
            return e?.kind == .unsupportedPixelFormat
                && e?.description == "clip.nut: pixel format bgr4 cannot be converted to RGB by libswscale"
        }
    }

    @Test func corruptPNGData() throws {
        let dir = try TemporaryDirectory()
        var png = PNGBuilder(width: 8, height: 8, bitDepth: 8, colorType: 2) { x, y, c in x + y + c }.bytes()
        png[png.count - 30] ^= 0xFF  // inside IDAT: its CRC no longer matches
        let path = try dir.write("flipped.png", png)
        Self.expectFailure(path, kind: .invalidData, mentions: ["libpng error", "IDAT"], video: false)
        #expect(throws: MediaError.self) { _ = try MediaLoader.loadVideo(path: path) }
    }

    @Test func truncatedPNG() throws {
        let dir = try TemporaryDirectory()
        let png = PNGBuilder(width: 32, height: 32, bitDepth: 8, colorType: 2) { x, y, c in x ^ y ^ c }.bytes()
        let path = try dir.write("half.png", Array(png.prefix(png.count / 2)))
        Self.expectFailure(path, kind: .invalidData, mentions: ["libpng error", "while decoding the image data"], video: false)
        #expect(throws: MediaError.self) { _ = try MediaLoader.loadVideo(path: path) }
    }

    @Test func badOptions() throws {
        let dir = try TemporaryDirectory()
        let path = try VideoRoundTripTests.clip(in: dir, frames: 2)
        for options in [VideoLoadOptions(startFrame: -1), VideoLoadOptions(frameCap: 0), VideoLoadOptions(size: PixelSize(width: 0, height: 10))] {
            #expect(throws: MediaError.self) { _ = try MediaLoader.loadVideo(path: path, options: options) }
        }
        #expect(throws: MediaError.self) { _ = try MediaLoader.loadImage(path: path, options: ImageLoadOptions(crf: 52)) }
    }

    @Test func unwritableOutputPaths() throws {
        let dir = try TemporaryDirectory()
        let video = Synthetic.video(frames: 2, width: 16, height: 16)
        let image = Tensor(zeros: [1, 3, 1, 8, 8])
        let missingDir = dir.path("no-such-dir/out.mp4")
        #expect {
            try MediaWriter.saveVideo(video, to: missingDir, options: VideoSaveOptions(fps: 24))
        } throws: { e in
            (e as? MediaError)?.kind == .unwritable && "\(e)".contains("does not exist") && "\(e)".hasPrefix(missingDir)
        }
        let file = try dir.write("plain-file", [1, 2, 3])
        #expect {
            try MediaWriter.saveImage(image, to: file + "/out.png")
        } throws: { e in (e as? MediaError)?.kind == .unwritable }
        #expect {
            try MediaWriter.savePNGSequence(video, to: file + "/frames")
        } throws: { e in (e as? MediaError)?.kind == .unwritable }
        // Refusing to overwrite is also an unwritable output, and leaves the file alone.
        #expect {
            try MediaWriter.saveImage(image, to: file, existing: .refuse)
        } throws: { e in (e as? MediaError)?.kind == .unwritable && "\(e)".contains("the file exists") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["plain-file"])
    }

    @Test func badTensorsToSave() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: MediaError.self) {
            try MediaWriter.saveVideo(Tensor(zeros: [1, 3, 2, 15, 16]), to: dir.path("odd.mp4"), options: VideoSaveOptions(fps: 24))
        }
        #expect(throws: MediaError.self) {
            try MediaWriter.saveVideo(Tensor(zeros: [2, 3, 2, 16, 16]), to: dir.path("batch.mp4"), options: VideoSaveOptions(fps: 24))
        }
        #expect(throws: MediaError.self) {
            try MediaWriter.saveVideo(Tensor(zeros: [1, 3, 2, 16, 16]), to: dir.path("crf.mp4"), options: VideoSaveOptions(fps: 24, crf: 60))
        }
        #expect(throws: MediaError.self) {
            try MediaWriter.saveVideo(Tensor(zeros: [1, 3, 2, 16, 16]), to: dir.path("preset.mp4"), options: VideoSaveOptions(fps: 24, preset: "warp"))
        }
        #expect(throws: MediaError.self) { try MediaWriter.saveImage(Tensor(zeros: [1, 4, 1, 8, 8]), to: dir.path("rgba.png")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
