// media-bench: speed figures for the Media module (issue 4). Run through
// tools/bench/media-bench.sh, which also times the ffmpeg command line on the same files.
//
//   media-bench decode CLIP                 decode + convert to normalised float RGB, once
//                                           (the whole-process figure; the CLI will take this
//                                           over as `reelflow inspect --decode` or similar)
//   media-bench encode RAW W H F OUT [CRF PRESET]
//                                           read raw rgb24 frames, encode H.264 like Save
//   media-bench inprocess CLIP RUNS         median in-process decode time and encode frames/s
import Foundation
import Media
import Tensors

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

/// Raw rgb24 frames -> `[1, 3, F, H, W]` in [-1, 1], each value the centre of its 8-bit bin.
func tensor(fromRGB24 bytes: [UInt8], width: Int, height: Int, frames: Int) -> Tensor {
    let plane = width * height
    var s = [Float](repeating: 0, count: 3 * frames * plane)
    for f in 0..<frames {
        for i in 0..<plane {
            for c in 0..<3 {
                s[(c * frames + f) * plane + i] = (Float(bytes[(f * plane + i) * 3 + c]) + 0.5) / 127.5 - 1
            }
        }
    }
    return Tensor(shape: [1, 3, frames, height, width], scalars: s)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: media-bench decode CLIP | encode RAW W H F OUT [CRF PRESET] | inprocess CLIP RUNS") }
do {
    switch args[1] {
    case "decode":
        let t0 = now()
        let v = try MediaLoader.loadVideo(path: args[2])
        let t1 = now()
        print("decoded \(v.pixels.shape) in \(String(format: "%.1f", (t1 - t0) * 1000)) ms, peak RSS \(String(format: "%.1f", peakRSSMiB())) MiB, output tensor \(String(format: "%.1f", Double(v.pixels.count * 4) / 1_048_576)) MiB")
    case "encode":
        guard args.count >= 7, let w = Int(args[3]), let h = Int(args[4]), let f = Int(args[5]) else { fail("encode RAW W H F OUT [CRF PRESET]") }
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[2])))
        let crf = args.count > 7 ? Int(args[7]) ?? 23 : 23
        let preset = args.count > 8 ? args[8] : "medium"
        let pixels = tensor(fromRGB24: raw, width: w, height: h, frames: f)
        let t0 = now()
        try MediaWriter.saveVideo(pixels, to: args[6], options: VideoSaveOptions(fps: 24, crf: crf, preset: preset, existing: .overwrite))
        let dt = now() - t0
        print("encoded \(f) frames in \(String(format: "%.1f", dt * 1000)) ms (\(String(format: "%.1f", Double(f) / dt)) frames/s)")
    case "inprocess":
        let runs = args.count > 3 ? Int(args[3]) ?? 9 : 9
        _ = try MediaLoader.loadVideo(path: args[2])  // warm-up: page cache, lazy init
        var times: [Double] = []
        var last: DecodedVideo? = nil
        for _ in 0..<runs {
            last = nil
            let t0 = now()
            last = try MediaLoader.loadVideo(path: args[2])
            times.append(now() - t0)
        }
        let v = last!
        let ms = median(times) * 1000
        print("in-process decode + normalise: \(v.pixels.shape), median \(String(format: "%.1f", ms)) ms over \(runs) runs (\(String(format: "%.0f", Double(v.frameCount) / median(times))) frames/s); target 50 ms: ratio target/ours \(String(format: "%.2f", 50 / ms))x")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("media-bench-encode.mp4").path
        var enc: [Double] = []
        for _ in 0..<max(3, runs / 3) {
            let t0 = now()
            try MediaWriter.saveVideo(v.pixels, to: out, options: VideoSaveOptions(fps: v.fps, crf: 23, preset: "medium", existing: .overwrite))
            enc.append(now() - t0)
        }
        print("in-process encode (libx264 medium, CRF 23): median \(String(format: "%.1f", median(enc) * 1000)) ms, \(String(format: "%.1f", Double(v.frameCount) / median(enc))) frames/s")
        print("peak RSS \(String(format: "%.1f", peakRSSMiB())) MiB")
    default:
        fail("unknown mode \(args[1])")
    }
} catch {
    fail("media-bench: \(error)")
}
