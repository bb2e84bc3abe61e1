// media-bench: speed figures for the Media module (issue 4). Run through
// tools/bench/media-bench.sh, which also times the ffmpeg command line on the same files.
//
//   media-bench decode CLIP                 decode + convert to normalised float RGB, once
//                                           (the whole-process figure; the CLI will take this
//                                           over as `reelflow inspect --decode` or similar)
//   media-bench encode RAW W H F OUT [CRF PRESET]
//                                           read raw rgb24 frames, encode H.264 like Save
//   media-bench inprocess CLIP RUNS RAW     median in-process decode time and encode frames/s,
//                                           each run alternating with the ffmpeg command
//   media-bench decodeloop CLIP RUNS [WxH]  in-process decodes only, one after another, optionally
//                                           resized and cropped to WxH (for a profiler:
//                                           `perf record -g media-bench decodeloop ...`)
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
/// Written once into uninitialised storage, plane by plane (the tensor is what a workflow
/// hands to Save; building it is part of this whole-process figure).
func tensor(fromRGB24 bytes: [UInt8], width: Int, height: Int, frames: Int) -> Tensor {
    let plane = width * height
    let levels = (0..<256).map { (Float($0) + 0.5) / 127.5 - 1 }
    let count = 3 * frames * plane
    let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
        initialized = count
        bytes.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                for f in 0..<frames {
                    let dst = out.baseAddress! + (c * frames + f) * plane
                    let s = src.baseAddress! + f * plane * 3 + c
                    for i in 0..<plane { dst[i] = levels[Int(s[3 * i])] }
                }
            }
        }
    }
    return Tensor(shape: [1, 3, frames, height, width], scalars: values)
}

// As `reelflow` does at start: OpenBLAS's idle workers would spin for 0.1 s of CPU each.
TensorThreads.stopIdleBLASThreads()
let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: media-bench decode CLIP | encode RAW W H F OUT [CRF PRESET] | inprocess CLIP RUNS RAW") }
do {
    switch args[1] {
    case "decode":
        let t0 = now()
        let v = try MediaLoader.loadVideo(path: args[2])
        let t1 = now()
        print("decoded \(v.pixels.shape) in \(String(format: "%.1f", (t1 - t0) * 1000)) ms, peak RSS \(String(format: "%.1f", peakRSSMiB())) MiB, output tensor \(String(format: "%.1f", Double(v.pixels.count * 4) / 1_048_576)) MiB")
    case "decodeloop":
        guard args.count >= 4, let runs = Int(args[3]) else { fail("decodeloop CLIP RUNS [WxH]") }
        var options = VideoLoadOptions()
        if args.count > 4 {
            let wh = args[4].split(separator: "x").compactMap { Int($0) }
            guard wh.count == 2 else { fail("decodeloop: size must be WxH, got \(args[4])") }
            options.size = PixelSize(width: wh[0], height: wh[1])
        }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = now()
            _ = try MediaLoader.loadVideo(path: args[2], options: options)
            times.append(now() - t0)
        }
        print(String(format: "decode: median %.1f ms of %d runs (min %.1f ms)", median(times) * 1000, runs, times.min()! * 1000))
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
        // Our in-process figures alternate run by run with the ffmpeg command on the same
        // files, so both see the same machine load.
        guard args.count >= 5, let runs = Int(args[3]) else { fail("inprocess CLIP RUNS RAW") }
        let clip = args[2]
        let raw = args[4]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("media-bench-encode.mp4").path
        let theirs = FileManager.default.temporaryDirectory.appendingPathComponent("media-bench-ffmpeg.mp4").path
        /// Runs the ffmpeg command; returns its whole-process wall time and the time of its own
        /// decode/encode loop as `-benchmark` reports it (`rtime`, start-up excluded).
        func ffmpeg(_ arguments: [String]) throws -> (wall: Double, loop: Double) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ffmpeg", "-hide_banner", "-nostats", "-v", "info", "-nostdin", "-benchmark"] + arguments
            let pipe = Pipe()
            p.standardError = pipe
            let t0 = now()
            try p.run()
            p.waitUntilExit()
            let wall = now() - t0
            let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard p.terminationStatus == 0 else { fail("ffmpeg failed: \(arguments)\n\(report)") }
            guard let r = report.range(of: "rtime="),
                let loop = Double(report[r.upperBound...].prefix { $0.isNumber || $0 == "." })
            else { fail("no rtime in ffmpeg -benchmark output: \(report)") }
            return (wall, loop)
        }
        _ = try MediaLoader.loadVideo(path: clip)  // warm-up: page cache, lazy init
        var ours: [Double] = [], peer: [Double] = [], peerLoop: [Double] = []
        var last: DecodedVideo? = nil
        for _ in 0..<runs {
            last = nil
            let t0 = now()
            last = try MediaLoader.loadVideo(path: clip)
            ours.append(now() - t0)
            let t = try ffmpeg(["-i", clip, "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null"])
            peer.append(t.wall)
            peerLoop.append(t.loop)
        }
        let v = last!
        let f = Double(v.frameCount)
        print("decode \(v.pixels.shape) to normalised float RGB, median of \(runs):")
        print(String(format: "  reelflow in-process %7.1f ms (%5.0f frames/s)   ffmpeg whole process %7.1f ms   ffmpeg/reelflow %.2fx   (target <= 50 ms)",
                     median(ours) * 1000, f / median(ours), median(peer) * 1000, median(peer) / median(ours)))
        // Issue 4's 50 ms target was set where ffmpeg's own loop (start-up excluded) took about
        // 44 ms (118 ms whole process, 74 ms start-up); under load, compare against that loop.
        print(String(format: "  ffmpeg's own decode+convert loop (-benchmark rtime) %7.1f ms   ours/theirs %.2f   (50 ms target at their 44 ms: <= 1.14)",
                     median(peerLoop) * 1000, median(ours) / median(peerLoop)))
        ours = []
        peer = []
        peerLoop = []
        let encodeRuns = max(3, runs / 3)
        for _ in 0..<encodeRuns {
            let t0 = now()
            try MediaWriter.saveVideo(v.pixels, to: out, options: VideoSaveOptions(fps: v.fps, crf: 23, preset: "medium", existing: .overwrite))
            ours.append(now() - t0)
            let t = try ffmpeg([
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(v.width)x\(v.height)", "-r", "24", "-i", raw,
                "-c:v", "libx264", "-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p", "-y", theirs,
            ])
            peer.append(t.wall)
            peerLoop.append(t.loop)
        }
        print("encode libx264 medium CRF 23, median of \(encodeRuns):")
        print(String(format: "  reelflow in-process %6.1f frames/s   ffmpeg whole process %6.1f frames/s   reelflow/ffmpeg %.2fx",
                     f / median(ours), f / median(peer), median(peer) / median(ours)))
        print(String(format: "  ffmpeg's own encode loop (-benchmark rtime) %6.1f frames/s   reelflow/ffmpeg loop %.2fx",
                     f / median(peerLoop), median(peerLoop) / median(ours)))
        print(String(format: "peak RSS %.1f MiB", peakRSSMiB()))
    default:
        fail("unknown mode \(args[1])")
    }
} catch {
    fail("media-bench: \(error)")
}
