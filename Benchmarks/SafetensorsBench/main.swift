// safetensors-bench: the safetensors loader and LoRA fusing beside their peers, in one run.
//
//   swift build -c release --product safetensors-bench
//   .build/release/safetensors-bench [--dir /tmp/reelflow-bench] [--python /work/venv/bin/python]
//                                    [--torch-script tools/bench/torch_lora_bench.py] [--layers 8]
//
// Figures (medians): opening a 1 GiB file lazily (beside safetensors' safe_open); reading
// every tensor through the loader (beside `cat FILE > /dev/null` on the same file, page cache
// warm and dropped per file with posix_fadvise): to float32 into a fresh tensor, into one
// reused layer tensor (the figure the 0.9x target is judged on), into a reused cache-sized row
// block, and the stored bytes without conversion, plus a zero-fill floor; fusing a rank-256 LoRA into
// 4096x4096 bf16 layers (beside ltx-core's apply_loras on PyTorch). Generated files go to --dir.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Tensors

struct Options {
    var dir = "/tmp/reelflow-bench"
    var python = "/work/venv/bin/python"
    var torchScript = "tools/bench/torch_lora_bench.py"
    var layers = 4
    var readRepeats = 5
    /// Page-cache states the read figures cover: warm, cold or both.
    var cache = "both"
    /// Rows per block of the row-block reader: 64 rows of 4096 float32 = 1 MiB, the two cores'
    /// L2 caches (measured warm, unset: 32 rows 1.00x cat, 64 rows 1.14x/1.23x, 128 rows 0.89x,
    /// 256 rows 0.80x).
    var blockRows = 64
    /// Run only one part: open, read or fuse (all when nil).
    var only: String?
    var fuseRepeats = 3
    /// Layers ltx-core's apply_loras fuses per repeat (its bf16 matmul takes ~40 s a layer here).
    var torchLayers = 1

    init(_ args: [String]) {
        var i = 1
        while i + 1 < args.count {
            switch args[i] {
            case "--dir": dir = args[i + 1]
            case "--python": python = args[i + 1]
            case "--torch-script": torchScript = args[i + 1]
            case "--layers": layers = Int(args[i + 1]) ?? layers
            case "--torch-layers": torchLayers = Int(args[i + 1]) ?? torchLayers
            case "--fuse-repeats": fuseRepeats = Int(args[i + 1]) ?? fuseRepeats
            case "--only": only = args[i + 1]
            case "--read-repeats": readRepeats = Int(args[i + 1]) ?? readRepeats
            case "--cache": cache = args[i + 1]
            case "--block-rows": blockRows = Int(args[i + 1]) ?? blockRows
            default: fatalError("unknown option \(args[i])")
            }
            i += 2
        }
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Deterministic bf16 values in about [-0.1, 0.1].
func randomBFloat16(_ count: Int, seed: UInt64) -> [UInt16] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let unit = Float(state >> 40) / Float(1 << 24) - 0.5
        return BFloat16.bits(from: unit * 0.2)
    }
}

func writeIfMissing(_ path: String, expectedBytes: Int? = nil, _ build: () throws -> SafetensorsWriter) throws {
    if let attrs = try? FileManager.default.attributesOfItem(atPath: path), let size = attrs[.size] as? Int,
        expectedBytes == nil || size >= expectedBytes! {
        return
    }
    say("generating \(path) …")
    try build().write(to: URL(fileURLWithPath: path))
}

/// Drops the file's pages from the page cache (clean pages only; our files are fsync'd).
func dropCache(_ path: String) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return }
    _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(fd)
}

func runCat(_ path: String) throws -> Double {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/cat")
    p.arguments = [path]
    p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    return try seconds {
        try p.run()
        p.waitUntilExit()
    }
}

func readAll(_ path: String) throws -> Double {
    var sink: Float = 0
    let t = try seconds {
        let file = try SafetensorsFile(path: path)
        for stored in file.tensors {
            let tensor = stored.floatTensor()
            sink += tensor.withHostScalars { $0.first ?? 0 }
        }
    }
    if sink.isNaN { say("") }  // keep the conversions alive
    return t
}

/// XOR of a buffer's 8-byte words, split over two threads: reads every byte once.
func xorWords(_ raw: UnsafeRawBufferPointer, into checksum: borrowing Mutex<UInt64>) {
    let words = raw.count / 8, parts = 2
    let base = Int(bitPattern: raw.baseAddress)
    DispatchQueue.concurrentPerform(iterations: parts) { p in
        let pointer = UnsafeRawPointer(bitPattern: base)!
        var x: UInt64 = 0
        for i in (p * words / parts)..<((p + 1) * words / parts) {
            x ^= pointer.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
        }
        checksum.withLock { $0 ^= x }
    }
}

/// Reads every tensor's stored bytes through the zero-copy view (`xorWords`): the mapping's
/// read speed.
func readAllRaw(_ path: String) throws -> Double {
    let checksum = Mutex<UInt64>(0)
    let t = try seconds {
        let file = try SafetensorsFile(path: path)
        for stored in file.tensors { stored.withUnsafeBytes { xorWords($0, into: checksum) } }
    }
    if checksum.withLock({ $0 }) == 42 { say("") }
    return t
}

/// Opens every tensor as a bf16 `Tensor` in its stored dtype (`StoredTensor.tensor()`, a
/// zero-copy view of the mapping) and reads its bytes through the tensor's storage
/// (`xorWords`): what a bf16 model pays to bring a checkpoint in.
func readAllViews(_ path: String) throws -> Double {
    let checksum = Mutex<UInt64>(0)
    let t = try seconds {
        let file = try SafetensorsFile(path: path)
        for stored in file.tensors {
            let tensor = stored.tensor()
            precondition(tensor.dtype == stored.dtype)
            tensor.withUnsafeHostBytes { xorWords($0, into: checksum) }
        }
    }
    if checksum.withLock({ $0 }) == 42 { say("") }
    return t
}

/// Reads every tensor through one reused scratch tensor per shape (layer-by-layer streaming).
func readAllReusing(_ path: String) throws -> Double {
    var sink: Float = 0
    var scratch: [[Int]: Tensor] = [:]
    let t = try seconds {
        let file = try SafetensorsFile(path: path)
        for stored in file.tensors {
            // Taken out of the dictionary so the storage is uniquely referenced (no copy on write).
            var tensor = scratch.removeValue(forKey: stored.shape) ?? Tensor(zeros: stored.shape)
            stored.convert(rows: 0..<stored.rowCount, into: &tensor)
            sink += tensor.withHostScalars { $0.first ?? 0 }
            scratch[stored.shape] = tensor
        }
    }
    if sink.isNaN { say("") }
    return t
}

/// Reads every tensor in blocks of `blockRows` rows through one reused cache-sized scratch
/// tensor (`convert(rows:into:)`), as a kernel consuming a weight panel by panel would.
func readAllBlocks(_ path: String, blockRows: Int) throws -> Double {
    var sink: Float = 0
    var scratch: [[Int]: Tensor] = [:]
    let t = try seconds {
        let file = try SafetensorsFile(path: path)
        for stored in file.tensors {
            var start = 0
            while start < stored.rowCount {
                let rows = start..<min(stored.rowCount, start + blockRows)
                let shape = [rows.count] + stored.shape.dropFirst()
                var block = scratch.removeValue(forKey: shape) ?? Tensor(zeros: shape)
                stored.convert(rows: rows, into: &block)
                sink += block.withHostScalars { $0.first ?? 0 }
                scratch[shape] = block
                start = rows.upperBound
            }
        }
    }
    if sink.isNaN { say("") }
    return t
}

/// The memory-write floor of the layer-buffer reader: filling the same reused float32 tensors
/// with zeros (2 bytes written per stored bf16 byte), with nothing read from the file.
func fillScratch(_ path: String) throws -> Double {
    var sink: Float = 0
    var scratch: [[Int]: [Float]] = [:]
    let file = try SafetensorsFile(path: path)
    let t = seconds {
        for stored in file.tensors {
            var tensor = scratch.removeValue(forKey: stored.shape) ?? [Float](repeating: 0, count: stored.elementCount)
            tensor.withUnsafeMutableBufferPointer { buffer in
                let base = Int(bitPattern: buffer.baseAddress), n = buffer.count
                DispatchQueue.concurrentPerform(iterations: 2) { p in
                    let pointer = UnsafeMutablePointer<Float>(bitPattern: base)! + p * n / 2
                    pointer.update(repeating: 0, count: (p + 1) * n / 2 - p * n / 2)
                }
            }
            sink += tensor.first ?? 0
            scratch[stored.shape] = tensor
        }
    }
    if sink.isNaN { say("") }
    return t
}

func python(_ options: Options, _ args: [String]) throws -> [String: Any] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: options.python)
    p.arguments = [options.torchScript] + args
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0,
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
        let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "python peer failed"]) }
    return json
}

/// Prints at once (stdout is block-buffered when redirected to a file).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A `kB` field of /proc/self/status (0 where unavailable).
func procStatus(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

let options = Options(CommandLine.arguments)
try FileManager.default.createDirectory(atPath: options.dir, withIntermediateDirectories: true)
let blas = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" } ?? "OPENBLAS_CORETYPE unset"
say("safetensors-bench (\(blas), \(ProcessInfo.processInfo.activeProcessorCount) cores)")

// MARK: 1 GiB checkpoint: open lazily, then read every tensor.
let side = 4096, gibLayers = 32
let checkpoint = options.dir + "/ckpt-1gib.safetensors"
try writeIfMissing(checkpoint, expectedBytes: gibLayers * side * side * 2) {
    var writer = SafetensorsWriter(metadata: [("config", #"{"transformer":{"num_layers":32}}"#)])
    for i in 0..<gibLayers {
        try writer.add("model.diffusion_model.layers.\(i).weight", bfloat16Bits: randomBFloat16(side * side, seed: UInt64(i)), shape: [side, side])
    }
    return writer
}
let fileBytes = Double(try FileManager.default.attributesOfItem(atPath: checkpoint)[.size] as! Int)

if options.only == nil || options.only == "open" {
    _ = try runCat(checkpoint)  // warm
    var opens: [Double] = []
    for _ in 0..<20 { opens.append(try seconds { _ = try SafetensorsFile(path: checkpoint) }) }
    let pyOpen = try python(options, ["open", checkpoint, "20"])["median_ms"] as! Double
    let openMs = median(opens) * 1e3
    say("open 1 GiB lazily (\(gibLayers) tensors): \(fmt(openMs, 3)) ms; safetensors safe_open+keys (python): \(fmt(pyOpen, 3)) ms; speed ratio \(fmt(pyOpen / openMs))x; target <= 10 ms")

}

if options.only == nil || options.only == "read" {
    // The scratch tensors of the reusing reader are allocated in its first (unmeasured) pass.
    _ = try readAllReusing(checkpoint)
    _ = try readAllBlocks(checkpoint, blockRows: options.blockRows)
    _ = try fillScratch(checkpoint)
    for cache in ["warm", "cold"] where options.cache == "both" || options.cache == cache {
        var cat: [Double] = [], fresh: [Double] = [], reused: [Double] = [], blocks: [Double] = [], raw: [Double] = []
        var views: [Double] = []
        var fill: [Double] = []
        for _ in 0..<options.readRepeats {
            if cache == "cold" { dropCache(checkpoint) }
            cat.append(try runCat(checkpoint))
            if cache == "cold" { dropCache(checkpoint) }
            fresh.append(try readAll(checkpoint))
            if cache == "cold" { dropCache(checkpoint) }
            reused.append(try readAllReusing(checkpoint))
            if cache == "cold" { dropCache(checkpoint) }
            blocks.append(try readAllBlocks(checkpoint, blockRows: options.blockRows))
            if cache == "cold" { dropCache(checkpoint) }
            raw.append(try readAllRaw(checkpoint))
            if cache == "cold" { dropCache(checkpoint) }
            views.append(try readAllViews(checkpoint))
            if cache == "warm" { fill.append(try fillScratch(checkpoint)) }
        }
        let catBW = fileBytes / median(cat) / 1e9
        say("read all tensors to float32, page cache \(cache): cat \(fmt(catBW)) GB/s (\(fmt(median(cat) * 1e3, 1)) ms)")
        var figures = [("new tensor per layer (floatTensor)", fresh), ("one reused layer tensor (convert(rows:into:))", reused),
            ("reused \(options.blockRows)-row block, cache-sized (convert(rows:into:))", blocks), ("stored bytes, zero-copy (withUnsafeBytes)", raw),
            ("bf16 tensors as stored, zero-copy views (tensor()), bytes read", views)]
        if !fill.isEmpty { figures.append(("floor: zero-filling the reused layer tensors, no file read", fill)) }
        for (label, times) in figures {
            let bw = fileBytes / median(times) / 1e9
            say("  loader, \(label): \(fmt(bw)) GB/s (\(fmt(median(times) * 1e3, 1)) ms); ratio to cat \(fmt(bw / catBW))x; target >= 0.9x")
        }
    }
}

// MARK: LoRA fuse: rank 256 into 4096x4096 bf16 layers.
let rank = 256, strength: Float = 0.8
let fuseBase = options.dir + "/fuse-base-\(options.layers).safetensors"
let fuseLoRA = options.dir + "/fuse-lora-\(options.layers)-r\(rank).safetensors"
try writeIfMissing(fuseBase) {
    var writer = SafetensorsWriter()
    for i in 0..<options.layers {
        try writer.add("layers.\(i).weight", bfloat16Bits: randomBFloat16(side * side, seed: 100 + UInt64(i)), shape: [side, side])
    }
    return writer
}
try writeIfMissing(fuseLoRA) {
    var writer = SafetensorsWriter()
    for i in 0..<options.layers {
        try writer.add("diffusion_model.layers.\(i).lora_A.weight", bfloat16Bits: randomBFloat16(rank * side, seed: 200 + UInt64(i)), shape: [rank, side])
        try writer.add("diffusion_model.layers.\(i).lora_B.weight", bfloat16Bits: randomBFloat16(side * rank, seed: 300 + UInt64(i)), shape: [side, rank])
    }
    return writer
}
if options.only == nil || options.only == "fuse" {
    _ = try runCat(fuseBase); _ = try runCat(fuseLoRA)  // warm, as torch holds its tensors in memory
    let base = try SafetensorsFile(path: fuseBase)
    let bound = try LoRAStack([.init(try LoRAAdapter(path: fuseLoRA), strength: strength)]).bind(to: base.tensors.map(\.name))
    var perLayer: [Double] = []
    // Peak memory: reset the high-water mark (Linux: "5" > /proc/self/clear_refs), so the
    // peak below is over the fuse loops only. Mapped base and LoRA pages count in it too.
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    let rssBefore = procStatus("VmRSS")
    for _ in 0..<options.fuseRepeats {
        var sink: Float = 0
        let t = try seconds {
            for key in bound.targetKeys {
                let fused = try bound.fusedWeight(for: key, base: base.tensor(key))
                sink += fused.withHostScalars { $0[0] }
            }
        }
        if sink.isNaN { say("") }
        perLayer.append(t / Double(bound.targetKeys.count))
    }
    let peak = procStatus("VmHWM")
    say("  peak RSS during fusing \(peak / 1024) MiB, \((peak - rssBefore) / 1024) MiB above the start "
        + "(one float32 4096x4096 layer is 64 MiB; the mapped base is \(options.layers * 32) MiB, the LoRA \(options.layers * 4) MiB)")
    let torchFuse = try python(options, ["fuse", fuseBase, fuseLoRA, "\(strength)", "\(options.fuseRepeats)", "\(options.torchLayers)"])
    let torchFp32Ms = torchFuse["fp32_median_ms_per_layer"] as! Double
    let swiftMs = median(perLayer) * 1e3
    say("fuse rank-\(rank) LoRA into 4096x4096 bf16 layers (\(options.layers) layers, page cache warm): swift \(fmt(swiftMs, 1)) ms/layer")
    if let torchMs = torchFuse["median_ms_per_layer"] as? Double {
        say("  vs ltx-core apply_loras (torch bf16 matmul, \(torchFuse["threads"]!) threads, \(torchFuse["layers"]!) layer(s)): "
            + "\(fmt(torchMs, 1)) ms/layer; speed ratio \(fmt(torchMs / swiftMs))x; target >= 1.0x")
    }
    say("  vs the same rounding points in torch with a float32 matmul (\(torchFuse["fp32_layers"]!) layers): "
        + "\(fmt(torchFp32Ms, 1)) ms/layer; speed ratio \(fmt(torchFp32Ms / swiftMs))x")
}
