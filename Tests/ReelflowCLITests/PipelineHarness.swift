import Foundation
import Media
import Tensors

/// The end-to-end fixture files of tools/reference/make_pipeline_fixtures.py (a tiny LTX-2.3
/// checkpoint, IC-LoRA, upsampler, prompt context, reference clip and edited frame, and what
/// ltx-core's two-stage IC-LoRA pipeline made of them) and helpers to run the repository's
/// graphs on them through the real CLI.
enum Pipeline {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/pipeline")
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static let presets = CLI.repositoryRoot.appendingPathComponent("nodes").path

    /// The repository graph `name` (under graphs/) as text.
    static func graph(_ name: String) throws -> String {
        try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("graphs/\(name)"), encoding: .utf8)
    }

    /// `--set` arguments pointing a graph at the fixture files, at the fixture's size.
    static func sets(output: String, extra: [String: String] = [:]) -> [String] {
        var values = [
            "checkpoint": fixture("checkpoint.safetensors"), "ic_lora": fixture("ic_lora.safetensors"),
            "upsampler": fixture("upsampler.safetensors"), "prompt": fixture("context.safetensors"),
            "reference": fixture("reference.mp4"), "edited_frame": fixture("edited.png"),
            "width": "256", "height": "256", "frames": "9", "generator": "cpu", "image_crf": "0", "output": output,
        ]
        for (k, v) in extra { values[k] = v }
        return values.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
    }

    /// `text` with `old` replaced by `new`; fails the test when `old` is missing.
    static func replacing(_ old: String, with new: String, in text: String) throws -> String {
        guard text.contains(old) else { throw HarnessError("the graph no longer contains \(old.debugDescription)") }
        return text.replacingOccurrences(of: old, with: new)
    }

    /// The nodes a `--json` run started, by id.
    static func started(_ stdout: String) -> Set<String> {
        var ids = Set<String>()
        for line in stdout.split(separator: "\n") {
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  object["event"] as? String == "started", let node = object["node"] as? String else { continue }
            ids.insert(node)
        }
        return ids
    }

    static func tensor(_ path: String, _ name: String) throws -> Tensor {
        try SafetensorsFile(path: path).tensor(name).tensor(dtype: .f32)
    }

    /// max |a - b| / max |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        let x = a.hostScalars(), y = b.hostScalars()
        precondition(x.count == y.count)
        let scale = y.map(abs).max() ?? 1
        return zip(x, y).map { abs($0 - $1) }.max()! / scale
    }

    /// The 8-bit values of a PNG sequence written by Save, as `[F, H, W, 3]` in 0...255.
    static func pngFrames(_ directory: String) throws -> [Float] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".png") }.sorted()
        var out: [Float] = []
        for name in names {
            let image = try MediaLoader.loadImage(path: directory + "/" + name, options: ImageLoadOptions(crf: 0))
            let p = image.pixels.hostScalars()  // [1, 3, 1, H, W] in [-1, 1]: v / 127.5 - 1
            let (h, w) = (image.height, image.width)
            for y in 0..<h { for x in 0..<w { for c in 0..<3 { out.append(((p[c * h * w + y * w + x] + 1) * 127.5).rounded()) } } }
        }
        return out
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
