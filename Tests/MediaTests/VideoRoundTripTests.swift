import Foundation
import Testing
import Tensors

@testable import Media

/// Encode synthetic frames with `MediaWriter`, decode them with `MediaLoader`, compare.
@Suite struct VideoRoundTripTests {
    static let (width, height, frames) = (64, 48, 10)

    /// Writes the synthetic clip with libx264 at a low CRF and returns its path.
    static func clip(in dir: TemporaryDirectory, name: String = "clip.mp4", frames: Int = frames, fps: Double = 24) throws -> String {
        try MediaWriter.saveVideo(
            Synthetic.video(frames: frames, width: width, height: height), to: dir.path(name),
            options: VideoSaveOptions(fps: fps, crf: 8, preset: "ultrafast"))
    }

    /// The normalised values the loader should return for frame `f` at the source size.
    static func expected(frame f: Int) -> [Float] {
        var s: [Float] = []
        for c in 0..<3 { for y in 0..<height { for x in 0..<width {
            let v = Float(Synthetic.value(c, x: x, y: y, f: f, width: width, height: height))
            let stored: Float = (v + 0.5) / 127.5 - 1
            s.append(Synthetic.normalised(EightBit.ltx(stored)))
        } } }
        return s
    }

    static func frame(_ t: Tensor, _ f: Int) -> [Float] {
        let (F, H, W) = (t.shape[2], t.shape[3], t.shape[4])
        var s: [Float] = []
        let all = t.hostScalars()
        let plane = H * W
        for c in 0..<3 {
            let start = (c * F + f) * plane
            s += all[start..<(start + plane)]
        }
        return s
    }

    @Test(arguments: ["clip.mp4", "clip.mkv", "clip.mov"])
    func decodesWhatWasEncoded(name: String) throws {
        let dir = try TemporaryDirectory()
        let path = try Self.clip(in: dir, name: name)
        let video = try MediaLoader.loadVideo(path: path)
        #expect(video.pixels.shape == [1, 3, Self.frames, Self.height, Self.width])
        #expect(video.fps == 24)
        #expect(video.source.codec == "h264")
        #expect(video.source.pixelFormat == "yuv420p")
        for f in [0, 5, 9] {
            let d = differences(Self.frame(video.pixels, f), Self.expected(frame: f))
            // yuv420p halves chroma resolution and CRF 8 is near-lossless: a few levels at most.
            #expect(d.mean < 4 / 127.5, "frame \(f): mean abs difference \(d.mean)")
            #expect(d.max < 40 / 127.5, "frame \(f): max abs difference \(d.max)")
        }
        // The frames differ from each other (red and blue move with f): frame order survives.
        let d05 = differences(Self.frame(video.pixels, 0), Self.expected(frame: 5))
        #expect(d05.mean > 8 / 127.5)
    }

    @Test func vp9InWebM() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.webm")
        let pixels = Synthetic.video(frames: 3, width: Self.width, height: Self.height)
        let spec = EncoderSpec(codecName: "libvpx-vp9", pixelFormat: FFmpeg.yuv420p, options: ["crf": "10", "b": "0", "deadline": "realtime", "cpu-used": "8"], container: nil)
        try MediaWriter.encode(pixels, frames: 3, width: Self.width, height: Self.height, to: path, reportedPath: path, spec: spec, fps: 12, threads: 1)
        let video = try MediaLoader.loadVideo(path: path)
        #expect(video.source.codec == "vp9")
        #expect(video.source.container.contains("webm"))
        #expect(video.frameCount == 3)
        #expect(video.fps == 12)
        #expect(differences(Self.frame(video.pixels, 1), Self.expected(frame: 1)).mean < 6 / 127.5)
    }

    @Test func startCapAndFrameCountRules() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.clip(in: dir, frames: 12)
        let all = try MediaLoader.loadVideo(path: path)
        #expect(all.frameCount == 12)

        let window = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(startFrame: 3, frameCap: 4))
        #expect(window.frameCount == 4)
        #expect(Self.frame(window.pixels, 0) == Self.frame(all.pixels, 3))
        #expect(Self.frame(window.pixels, 3) == Self.frame(all.pixels, 6))

        let truncated = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(frameCountRule: .truncateTo8kPlus1))
        #expect(truncated.frameCount == 9)
        #expect(truncated.decodedFrameCount == 12)
        #expect(Self.frame(truncated.pixels, 8) == Self.frame(all.pixels, 8))

        let padded = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(frameCountRule: .padTo8kPlus1))
        #expect(padded.frameCount == 17)
        #expect(Self.frame(padded.pixels, 11) == Self.frame(all.pixels, 11))
        #expect(Self.frame(padded.pixels, 16) == Self.frame(all.pixels, 11))
    }

    @Test func resizesEveryFrameLikeTheImagePath() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.clip(in: dir, frames: 3)
        let all = try MediaLoader.loadVideo(path: path)
        let small = try MediaLoader.loadVideo(path: path, options: VideoLoadOptions(size: PixelSize(width: 32, height: 32)))
        #expect(small.pixels.shape == [1, 3, 3, 32, 32])
        // Same plan applied to the full-size decode's 8-bit values gives the same floats.
        let plan = ResizeCropPlan(sourceWidth: Self.width, sourceHeight: Self.height, width: 32, height: 32)
        let full = Self.frame(all.pixels, 2)
        var rgb = [UInt8](repeating: 0, count: Self.width * Self.height * 3)
        for i in 0..<(Self.width * Self.height) {
            for c in 0..<3 { rgb[i * 3 + c] = UInt8(((full[c * Self.width * Self.height + i] + 1) * 127.5).rounded()) }
        }
        var out = [Float](repeating: 0, count: 3 * 32 * 32)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let b = dst.baseAddress!
                plan.apply(rgb: src.baseAddress!, sourceRowBytes: Self.width * 3, red: b, green: b + 1024, blue: b + 2048, rowRange: 0..<32)
            }
        }
        #expect(differences(Self.frame(small.pixels, 2), out).max < 1e-5)
    }

    @Test func frameStoreGrowsWhenTheContainerUnderstatesTheCount() {
        var store = PlanarFrameStore(width: 2, height: 1, estimatedFrames: 1)
        for f in 0..<11 {
            store.appendFrame { r, g, b in
                for i in 0..<2 { r[i] = Float(f); g[i] = Float(100 + f); b[i] = Float(200 + f) }
            }
        }
        let t = store.finish(frames: 11)
        #expect(t.shape == [1, 3, 11, 1, 2])
        #expect(t.hostScalars()[0..<4] == [0, 0, 1, 1])
        #expect(t.hostScalars()[22..<24] == [100, 100])
        #expect(t.hostScalars()[65] == 210)
    }

    /// Large enough for the page warmer (>= 16 MiB), grown past its estimate and padded: the
    /// warmer must never change a value the decoder wrote, before or after growing.
    @Test func warmedFrameStoreKeepsEveryValue() {
        let (w, h) = (256, 256)
        var store = PlanarFrameStore(width: w, height: h, estimatedFrames: 30)
        for f in 0..<35 {
            store.appendFrame { r, g, b in
                for i in 0..<(w * h) {
                    r[i] = Float(f * 7 + i % 5)
                    g[i] = -Float(f)
                    b[i] = Float(i % 251)
                }
            }
        }
        let t = store.finish(frames: 36)
        #expect(t.shape == [1, 3, 36, h, w])
        let plane = w * h
        var bad = 0
        t.withHostScalars { s in
            for f in 0..<36 {
                let src = min(f, 34)
                for i in stride(from: 0, to: plane, by: 97) {
                    if s[(0 * 36 + f) * plane + i] != Float(src * 7 + i % 5) { bad += 1 }
                    if s[(1 * 36 + f) * plane + i] != -Float(src) { bad += 1 }
                    if s[(2 * 36 + f) * plane + i] != Float(i % 251) { bad += 1 }
                }
            }
        }
        #expect(bad == 0)
    }

    @Test func cancellationStopsDecodingAndEncoding() async throws {
        let dir = try TemporaryDirectory()
        let path = try Self.clip(in: dir, frames: 3)
        let pixels = Synthetic.video(frames: 2, width: 16, height: 16)
        let out = dir.path("never.mp4")
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            var kinds: [MediaError.Kind?] = []
            do { _ = try MediaLoader.loadVideo(path: path) } catch { kinds.append((error as? MediaError)?.kind) }
            do {
                try MediaWriter.saveVideo(pixels, to: out, options: VideoSaveOptions(fps: 24))
            } catch { kinds.append((error as? MediaError)?.kind) }
            return kinds
        }
        let kinds = await task.value
        #expect(kinds == [MediaError.Kind.cancelled, MediaError.Kind.cancelled])
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func infoDescribesTheStream() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.clip(in: dir, frames: 5, fps: 30)
        let info = try MediaLoader.videoInfo(path: path)
        #expect(info.width == Self.width && info.height == Self.height)
        #expect(info.fps == 30)
        #expect(info.declaredFrameCount == 5)
        #expect(info.container.contains("mp4"))
    }
}
