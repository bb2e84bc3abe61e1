/// A short check of a device's backend against the CPU backend: a few primitives that cover
/// the kernel families a GPU backend writes (GEMM in float32 and bf16, attention with 128-wide
/// heads in both, convolution, a norm, softmax) on seeded operands. `reelflow devices
/// --self-test` runs it on each GPU after the CUDA backend is set up.
public enum BackendCheck {
    /// A primitive whose result on the device is off.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// One case: its name, dtype, bound (max-abs error over max-abs result) and the op, given a
    /// function that places an operand (converted to the dtype, moved to the device).
    typealias Case = (label: String, dtype: DType, bound: Float, op: ((Tensor) -> Tensor) -> Tensor)

    /// Runs every case on `device` (its backend registered) and on the CPU.
    /// - Returns: a one-line summary.
    /// - Throws: `Failure` naming the first primitive whose result is off.
    public static func run(on device: Device) throws -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func values(_ shape: [Int], scale: Float = 1) -> Tensor {
            let v = (0..<shape.reduce(1, *)).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
            return Tensor(shape: shape, scalars: v)
        }
        let x = values([64, 256]), w = values([384, 256], scale: 0.06), bias = values([384]), gain = values([256])
        let q = values([1, 200, 256]), k = values([1, 200, 256]), v = values([1, 200, 256])
        let video = values([1, 8, 3, 10, 12]), kernel = values([8, 8, 3, 3, 3], scale: 0.1), kb = values([8])
        let cases: [Case] = [
            ("linear", .f32, 1e-4, { on in on(x).linear(weight: on(w), bias: on(bias)) }),
            ("linear", .bf16, 1.0 / 128, { on in on(x).linear(weight: on(w), bias: on(bias)) }),
            ("linear + GELU", .bf16, 1.0 / 128, { on in on(x).linear(weight: on(w), bias: on(bias), activation: .geluTanh) }),
            ("attention, 2 heads x 128", .bf16, 1.0 / 64, { on in Tensor.attention(query: on(q), key: on(k), value: on(v), heads: 2) }),
            ("attention, 2 heads x 128", .f32, 1e-4, { on in Tensor.attention(query: on(q), key: on(k), value: on(v), heads: 2) }),
            ("causal conv3d", .f32, 1e-4, { on in on(video).causalConv3d(weight: on(kernel), bias: on(kb)) }),
            ("rms_norm", .bf16, 1.0 / 128, { on in on(x).rmsNorm(weight: on(gain), eps: 1e-6) }),
            ("softmax", .f32, 1e-4, { on in on(q).softmax() }),
        ]
        var worst: Float = 0
        for c in cases {
            let expected = c.op { $0.to(dtype: c.dtype) }
            let actual = c.op { $0.to(dtype: c.dtype).to(device: device) }
            let e = expected.hostScalars(), a = actual.hostScalars()
            let scale = max(e.map(abs).max() ?? 1, 1e-30)
            let error = a.count == e.count ? zip(a, e).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0 : .infinity
            guard actual.device == device, error <= c.bound else {
                throw BackendCheck.Failure("\(device) self-check: \(c.label) in \(c.dtype.rawValue) is off by \(error) of its scale (bound \(c.bound))")
            }
            worst = max(worst, error / c.bound)
        }
        return "backend self-check passed on \(device): \(cases.count) ops against the CPU backend "
            + "(worst at \(Int((worst * 100).rounded()))% of its bound)"
    }
}
