import Foundation
import Tensors

/// `cuda-op-suite --noise FIXTURE`: torch's CUDA randn drawn on the GPU against torch's own
/// draws on an H200 (Tests/TensorsTests/Fixtures/noise_cuda.safetensors, made by
/// tools/reference/make_noise_fixtures_cuda.py), bit for bit: successive draws of seed 42 on
/// both sides of the launch cap (270,336 elements), float32 and bf16, and a seed above 2^32.
/// Large draws are compared at their head, their tail and around the cap, as the fixture
/// stores them. Reports (label, differing values, compared values).
func runNoiseParity(fixture path: String, on device: Device) throws -> [(String, Int, Int)] {
    let file = try SafetensorsFile(path: path)
    func stored(_ key: String) throws -> [Float] { try file.tensor(key).tensor(dtype: .f32).hostScalars() }
    let plan: [(name: String, shape: [Int], dtype: DType)] = [
        ("s42.d0", [1000], .f32), ("s42.d1", [3, 5, 7], .f32), ("s42.d2", [270_336], .f32),
        ("s42.d3", [600_000], .f32), ("s42.d4", [1000], .bf16), ("s42.d5", [1_200_000], .f32),
        ("s42.d6", [1, 300, 128], .bf16), ("s42.d7", [600_000], .bf16), ("s42.d8", [1000], .f32),
    ]
    var results: [(String, Int, Int)] = []
    func compare(_ name: String, _ drawn: Tensor) throws {
        let values = drawn.to(dtype: .f32).hostScalars()
        var pairs: [(Float, Float)] = []
        if values.count <= 4096 {
            pairs = Array(zip(values, try stored(name)))
        } else {
            let lo = max(0, min(270_336 - 256, values.count - 512))
            pairs += zip(values.prefix(512), try stored(name + ".head"))
            pairs += zip(values.suffix(512), try stored(name + ".tail"))
            pairs += zip(values[lo..<(lo + 512)], try stored(name + ".cap"))
        }
        let differing = pairs.filter { $0.0.bitPattern != $0.1.bitPattern }.count
        results.append(("\(name) \(drawn.shape) \(drawn.dtype.rawValue)", differing, pairs.count))
    }
    var g = TorchGenerator.cuda(seed: 42)
    for (name, shape, dtype) in plan {
        let drawn = g.randn(shape: shape, dtype: dtype, device: device)
        precondition(drawn.device == device)
        try compare(name, drawn)
    }
    var big = TorchGenerator.cuda(seed: (1 << 40) + 12345)
    try compare("sbig.d0", big.randn(shape: [777], dtype: .f32, device: device))
    return results
}
