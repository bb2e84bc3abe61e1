import Foundation
import Synchronization
import Testing
import Tensors

@testable import Media

@Suite struct SaveTests {
    @Test func imageToPNGAndBack() throws {
        let dir = try TemporaryDirectory()
        let video = Synthetic.video(frames: 1, width: 21, height: 11)
        let written = try MediaWriter.saveImage(video, to: dir.path("still.png"))
        #expect(written == dir.path("still.png"))
        let back = try MediaLoader.loadImage(path: written, options: ImageLoadOptions(crf: 0))
        #expect(back.source.format == "PNG" && back.source.bitDepth == 8 && back.source.channels == 3)
        // PNG is lossless: the loaded values are exactly ltx's 8-bit conversion of the input.
        let expected = video.hostScalars().map { Synthetic.normalised(EightBit.ltx($0)) }
        #expect(back.pixels.hostScalars() == expected)
    }

    @Test func numberPolicyKeepsTheOldFile() throws {
        let dir = try TemporaryDirectory()
        let image = Tensor(zeros: [1, 3, 1, 4, 4])
        let first = try MediaWriter.saveImage(image, to: dir.path("out.png"))
        let second = try MediaWriter.saveImage(image, to: dir.path("out.png"))
        let third = try MediaWriter.saveImage(image, to: dir.path("out.png"))
        #expect(first == dir.path("out.png"))
        #expect(second == dir.path("out_00001.png"))
        #expect(third == dir.path("out_00002.png"))
    }

    @Test func overwriteReplacesAtomically() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("clip.mp4", Array("old".utf8))
        let written = try MediaWriter.saveVideo(
            Synthetic.video(frames: 2, width: 16, height: 16), to: path,
            options: VideoSaveOptions(fps: 24, existing: .overwrite))
        #expect(written == path)
        #expect(try MediaLoader.videoInfo(path: path).declaredFrameCount == 2)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["clip.mp4"])
    }

    @Test func mp4CarriesFpsCrfAndPreset() throws {
        let dir = try TemporaryDirectory()
        let pixels = Synthetic.video(frames: 9, width: 32, height: 32)
        let fine = try MediaWriter.saveVideo(pixels, to: dir.path("fine.mp4"), options: VideoSaveOptions(fps: 25, crf: 5, preset: "veryfast"))
        let coarse = try MediaWriter.saveVideo(pixels, to: dir.path("coarse.mp4"), options: VideoSaveOptions(fps: 25, crf: 45, preset: "veryfast"))
        let info = try MediaLoader.videoInfo(path: fine)
        #expect(info.fps == 25 && info.codec == "h264" && info.pixelFormat == "yuv420p" && info.declaredFrameCount == 9)
        let size = { (p: String) in try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int }
        #expect(try size(coarse) < size(fine))
        let a = try MediaLoader.loadVideo(path: fine).pixels.hostScalars()
        let b = try MediaLoader.loadVideo(path: coarse).pixels.hostScalars()
        let truth = pixels.hostScalars().map { Synthetic.normalised(EightBit.ltx($0)) }
        #expect(differences(a, truth).mean < differences(b, truth).mean)
    }

    @Test func pngSequence() throws {
        let dir = try TemporaryDirectory()
        let video = Synthetic.video(frames: 3, width: 8, height: 6)
        let out = try MediaWriter.savePNGSequence(video, to: dir.path("frames"))
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["frame_00000.png", "frame_00001.png", "frame_00002.png"])
        let f2 = try MediaLoader.loadImage(path: out + "/frame_00002.png", options: ImageLoadOptions(crf: 0))
        let truth = VideoRoundTripTests.frame(video, 2).map { Synthetic.normalised(EightBit.ltx($0)) }
        #expect(f2.pixels.hostScalars() == truth)
        // Saving again numbers the directory; overwrite replaces it whole.
        #expect(try MediaWriter.savePNGSequence(video, to: dir.path("frames")) == dir.path("frames_00001"))
        let one = Synthetic.video(frames: 1, width: 8, height: 6)
        #expect(try MediaWriter.savePNGSequence(one, to: dir.path("frames"), existing: .overwrite) == dir.path("frames"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["frame_00000.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == ["frames", "frames_00001"])
    }

    /// Saves to one path from several threads at once: every save gets its own name under
    /// `.number` and exactly one wins under `.refuse`, for files and PNG-sequence directories.
    @Test func concurrentSavesNeverShareAName() throws {
        let dir = try TemporaryDirectory()
        let image = Synthetic.video(frames: 1, width: 8, height: 6)
        func saveConcurrently(_ count: Int, _ save: @Sendable (Int) throws -> String) -> ([String], Int) {
            let results = Mutex<([String], Int)>(([], 0))
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do {
                    let path = try save(i)
                    results.withLock { $0.0.append(path) }
                } catch {
                    results.withLock { $0.1 += 1 }
                }
            }
            return results.withLock { $0 }
        }
        let (still, once, frames) = (dir.path("still.png"), dir.path("once.png"), dir.path("frames"))
        let (numbered, numberedErrors) = saveConcurrently(6) { _ in
            try MediaWriter.saveImage(image, to: still, existing: .number)
        }
        #expect(numberedErrors == 0 && Set(numbered).count == 6)
        let (refused, refusedErrors) = saveConcurrently(4) { _ in
            try MediaWriter.saveImage(image, to: once, existing: .refuse)
        }
        #expect(refused == [once] && refusedErrors == 3)
        let (sequences, sequenceErrors) = saveConcurrently(4) { _ in
            try MediaWriter.savePNGSequence(image, to: frames, existing: .number)
        }
        #expect(sequenceErrors == 0 && Set(sequences).count == 4)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.url.path)
        #expect(names.filter { $0.hasPrefix("still") }.count == 6)
        #expect(names.filter { $0.hasPrefix("frames") }.count == 4)
        #expect(!names.contains { $0.hasPrefix(".") }, "no temporary file or directory is left: \(names)")
    }
}
