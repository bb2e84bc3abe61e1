import Foundation
import Testing
import Tensors

@testable import Media

@Suite struct InspectionTests {
    @Test func describesAVideo() throws {
        let dir = try TemporaryDirectory()
        let path = try VideoRoundTripTests.clip(in: dir, frames: 7, fps: 30)
        let report = try MediaInspection.report(path: path)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.first == "file: \(path)")
        #expect(lines.contains("container: mov,mp4,m4a,3gp,3g2,mj2 (QuickTime / MOV)"))
        #expect(lines.contains { $0.hasPrefix("stream 0: video h264 (") && $0.hasSuffix("), 64x48, yuv420p, 30 fps (30/1), 7 frames (decoded) [main]") }, "\(report)")
        #expect(lines.contains("duration: 0.234 s"), "\(report)")
    }

    @Test func describesPNGImages() throws {
        let dir = try TemporaryDirectory()
        let png = PNGBuilder(width: 5, height: 3, bitDepth: 16, colorType: 6, interlaced: true) { _, _, _ in 1000 }
        let path = try dir.write("deep.png", png.bytes())
        #expect(try MediaInspection.report(path: path) == """
            file: \(path)
            image: PNG, 5x3
            bit depth: 16
            channels: 4 (RGBA, alpha dropped on load)
            interlaced: yes
            """)
    }

    @Test func describesAJPEG() throws {
        let dir = try TemporaryDirectory()
        let spec = EncoderSpec(codecName: "mjpeg", pixelFormat: FFmpeg.pixelFormat(named: "yuvj420p")!, options: [:], container: "mjpeg")
        let (path, _) = try ImageLoadingTests.ffmpegImage(dir, name: "photo.jpg", spec: spec)
        #expect(try MediaInspection.report(path: path) == """
            file: \(path)
            image: mjpeg, 32x24
            bit depth: 8
            channels: 3 (yuvj420p)
            """)
    }

    @Test func damagedFileGivesTheLoadError() throws {
        let dir = try TemporaryDirectory()
        let clip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: VideoRoundTripTests.clip(in: dir, name: "c.mkv"))))
        let path = try dir.write("cut.mkv", Array(clip.prefix(clip.count / 2)))
        var loadError: MediaError? = nil
        var inspectError: MediaError? = nil
        do { _ = try MediaLoader.loadVideo(path: path) } catch { loadError = error }
        do { _ = try MediaInspection.report(path: path) } catch { inspectError = error }
        #expect(loadError != nil)
        #expect(loadError == inspectError)
    }
}
