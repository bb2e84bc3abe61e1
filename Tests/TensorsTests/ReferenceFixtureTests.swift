import Testing
@testable import Tensors
import TensorsTestSupport

/// Op-by-op comparisons against PyTorch 2.7 / ltx-core 1.0.0 outputs written by
/// tools/reference/make_op_fixtures.py into Fixtures/ops.safetensors. Each comparison states
/// its tolerance: every element within `absolute + relative * |expected|`. Every test runs
/// on each backend of the shared op suite (`TestBackend`): the same fixtures, the same
/// tolerances.
@Suite struct ReferenceFixtureTests {
    let f: FixtureFile

    init() throws { f = try FixtureFile(named: "ops") }

    @Test(arguments: TestBackend.allCases)
    func linearAndMatmul(on backend: TestBackend) throws {
        try backend.run {
            let y = try f.tensor("linear.x").linear(weight: f.tensor("linear.weight"), bias: f.tensor("linear.bias"))
            expectClose(y, try f.tensor("linear.out"), absolute: 1e-5, relative: 1e-5, "linear")
            let m = Tensor.matmul(try f.tensor("matmul.a"), try f.tensor("matmul.b"))
            expectClose(m, try f.tensor("matmul.out"), absolute: 1e-5, relative: 1e-5, "matmul")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func unaryOps(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("unary.x")
            expectClose(x.silu(), try f.tensor("unary.silu"), absolute: 1e-6, relative: 1e-5, "silu")
            expectClose(x.geluTanh(), try f.tensor("unary.gelu_tanh"), absolute: 1e-6, relative: 1e-5, "gelu tanh")
            expectClose(x.softmax(), try f.tensor("unary.softmax"), absolute: 1e-7, relative: 1e-5, "softmax")
            // bf16 rounding is exact: no tolerance.
            #expect(x.roundedToBF16() == (try f.tensor("unary.bf16")))
            var y = x
            y.roundToBF16()
            #expect(y == (try f.tensor("unary.bf16")))
        }
    }

    @Test(arguments: TestBackend.allCases)
    func broadcastArithmetic(on backend: TestBackend) throws {
        try backend.run {
            let a = try f.tensor("broadcast.a"), b = try f.tensor("broadcast.b")
            #expect(a + b == (try f.tensor("broadcast.add")))
            #expect(a - b == (try f.tensor("broadcast.sub")))
            #expect(a * b == (try f.tensor("broadcast.mul")))
            let d = b.map { abs($0) + 0.5 }
            expectClose(a / d, try f.tensor("broadcast.div"), absolute: 0, relative: 1e-7, "div")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func norms(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("rmsnorm.x")
            let rms = x.rmsNorm(weight: try f.tensor("rmsnorm.weight"), eps: 1e-6)
            expectClose(rms, try f.tensor("rmsnorm.out"), absolute: 1e-6, relative: 1e-5, "RMSNorm")
            expectClose(x.layerNorm(eps: 1e-6), try f.tensor("layernorm.out"), absolute: 1e-6, relative: 1e-5, "LayerNorm")
            let p = try f.tensor("pixelnorm.x").pixelNorm(eps: 1e-8)
            expectClose(p, try f.tensor("pixelnorm.out"), absolute: 1e-6, relative: 1e-5, "PixelNorm")
            let g = try f.tensor("groupnorm.x").groupNorm(
                groups: 8, weight: try f.tensor("groupnorm.weight"), bias: try f.tensor("groupnorm.bias"), eps: 1e-6)
            expectClose(g, try f.tensor("groupnorm.out"), absolute: 1e-5, relative: 1e-5, "GroupNorm")
            // Sanity mutation: 4 groups instead of 8 must be caught.
            let wrong = try f.tensor("groupnorm.x").groupNorm(
                groups: 4, weight: try f.tensor("groupnorm.weight"), bias: try f.tensor("groupnorm.bias"), eps: 1e-6)
            expectFar(wrong, try f.tensor("groupnorm.out"), absolute: 1e-5, relative: 1e-5, "GroupNorm with 4 groups")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func attentionMatchesSDPA(on backend: TestBackend) throws {
        try backend.run {
            let q = try f.tensor("sdpa.q"), k = try f.tensor("sdpa.k"), v = try f.tensor("sdpa.v")
            let tol: (Float, Float) = (2e-6, 1e-4)
            // Small blocks so the fixture exercises several query and key blocks.
            for (bq, bk) in [(256, 512), (8, 16), (37, 7)] {
                let plain = Tensor.cpuScaledDotProductAttention(query: q, key: k, value: v, queryBlock: bq, keyBlock: bk)
                expectClose(plain, try f.tensor("sdpa.out"), absolute: tol.0, relative: tol.1, "SDPA \(bq)x\(bk)")
                let add = Tensor.cpuScaledDotProductAttention(
                    query: q, key: k, value: v, mask: .additive(try f.tensor("sdpa.additive_mask")),
                    queryBlock: bq, keyBlock: bk)
                expectClose(add, try f.tensor("sdpa.out_additive"), absolute: tol.0, relative: tol.1, "additive mask")
                let keep = Tensor.cpuScaledDotProductAttention(
                    query: q, key: k, value: v, mask: .multiplicative(try f.tensor("sdpa.bool_mask")),
                    queryBlock: bq, keyBlock: bk)
                expectClose(keep, try f.tensor("sdpa.out_bool"), absolute: tol.0, relative: tol.1, "boolean mask")
                let mul = Tensor.cpuScaledDotProductAttention(
                    query: q, key: k, value: v, mask: .multiplicative(try f.tensor("sdpa.multiplicative_mask")),
                    queryBlock: bq, keyBlock: bk)
                expectClose(mul, try f.tensor("sdpa.out_multiplicative"), absolute: tol.0, relative: tol.1, "mult. mask")
            }
            let empty = Tensor.cpuScaledDotProductAttention(
                query: q, key: k, value: v, mask: .multiplicative(try f.tensor("sdpa.bool_mask_empty_row")), keyBlock: 16)
            expectClose(empty, try f.tensor("sdpa.out_bool_empty_row"), absolute: tol.0, relative: tol.1, "fully masked row")
            // Token layout: [B, H, T, d] -> [B, T, H*d], attention, and back.
            func tokens(_ t: Tensor) -> Tensor {
                t.permuted([0, 2, 1, 3]).reshaped([t.shape[0], t.shape[2], t.shape[1] * t.shape[3]])
            }
            let packed = Tensor.cpuAttention(query: tokens(q), key: tokens(k), value: tokens(v), heads: 4, keyBlock: 16)
            expectClose(packed, tokens(try f.tensor("sdpa.out")), absolute: tol.0, relative: tol.1, "token layout")
            // Sanity mutation: ignoring the mask must be caught.
            let unmasked = Tensor.scaledDotProductAttention(query: q, key: k, value: v)
            expectFar(unmasked, try f.tensor("sdpa.out_bool"), absolute: tol.0, relative: tol.1, "mask dropped")
        }
    }

    @Test(arguments: TestBackend.allCases, RoPELayout.allCases)
    func ropeMatchesLTXCore(on backend: TestBackend, layout: RoPELayout) throws {
        try backend.run {
            let angles = try f.tensor("rope.angles"), x = try f.tensor("rope.x")
            let (cos, sin) = RoPE.tables(angles: angles, width: 104, heads: 2, layout: layout)
            let refCos = try f.tensor("rope.\(layout.rawValue).cos"), refSin = try f.tensor("rope.\(layout.rawValue).sin")
            // Angles reach ~5000 pi; libm and torch's vectorised cos agree to a few ulp of the angle.
            expectClose(cos, refCos, absolute: 2e-5, relative: 0, "RoPE cos table (\(layout))")
            expectClose(sin, refSin, absolute: 2e-5, relative: 0, "RoPE sin table (\(layout))")
            let y = x.applyingRoPE(cos: refCos, sin: refSin, layout: layout)
            expectClose(y, try f.tensor("rope.\(layout.rawValue).out"), absolute: 1e-6, relative: 1e-6, "RoPE (\(layout))")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func ropeWrongLayoutIsCaught(on backend: TestBackend) throws {
        try backend.run {
            // Sanity mutation: the split reference applied with interleaved tables must fail.
            let angles = try f.tensor("rope.angles"), x = try f.tensor("rope.x")
            let (cos, sin) = RoPE.tables(angles: angles, width: 104, heads: 2, layout: .interleaved)
            let y = x.applyingRoPE(cos: cos, sin: sin, layout: .interleaved)
            expectFar(y, try f.tensor("rope.split.out"), absolute: 1e-4, relative: 1e-4, "interleaved vs split")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func causalConv3d(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("causalconv.x")
            for (name, mode) in [("zeros", PaddingMode.zeros), ("reflect", .reflect)] {
                let w = try f.tensor("causalconv.\(name).conv.weight"), b = try f.tensor("causalconv.\(name).conv.bias")
                let causal = x.causalConv3d(weight: w, bias: b, causal: true, spatialPadding: mode)
                expectClose(causal, try f.tensor("causalconv.\(name).causal"), absolute: 1e-5, relative: 1e-5, "\(name) causal")
                let centred = x.causalConv3d(weight: w, bias: b, causal: false, spatialPadding: mode)
                expectClose(
                    centred, try f.tensor("causalconv.\(name).noncausal"), absolute: 1e-5, relative: 1e-5, "\(name) non-causal")
                // Sanity mutation: causal output against the non-causal reference.
                expectFar(causal, try f.tensor("causalconv.\(name).noncausal"), absolute: 1e-4, relative: 1e-4, "causality")
            }
            let strided = x.causalConv3d(
                weight: try f.tensor("causalconv.strided.conv.weight"), bias: try f.tensor("causalconv.strided.conv.bias"),
                stride: [2, 2, 2])
            expectClose(strided, try f.tensor("causalconv.strided.out"), absolute: 1e-5, relative: 1e-5, "strided causal")
            let zeros = x.conv3d(
                weight: try f.tensor("conv3d.zeros.weight"), bias: try f.tensor("conv3d.zeros.bias"),
                padding: [.symmetric(1), .symmetric(1), .symmetric(1)])
            expectClose(zeros, try f.tensor("conv3d.zeros.out"), absolute: 1e-5, relative: 1e-5, "conv3d zero padding")
            let pointwise = x.conv3d(weight: try f.tensor("conv3d.pointwise.weight"), bias: try f.tensor("conv3d.pointwise.bias"))
            expectClose(pointwise, try f.tensor("conv3d.pointwise.out"), absolute: 1e-5, relative: 1e-5, "conv3d 1x1x1")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func conv2d(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("conv2d.x")
            let cases: [(String, [Int], [AxisPadding])] = [
                ("zeros", [1, 1], [.symmetric(1), .symmetric(1)]),
                ("reflect", [1, 1], [.symmetric(1, .reflect), .symmetric(1, .reflect)]),
                ("strided", [2, 2], [.symmetric(2), .symmetric(2)]),
            ]
            for (name, stride, padding) in cases {
                let y = x.conv2d(
                    weight: try f.tensor("conv2d.\(name).weight"), bias: try f.tensor("conv2d.\(name).bias"),
                    stride: stride, padding: padding)
                expectClose(y, try f.tensor("conv2d.\(name).out"), absolute: 1e-5, relative: 1e-5, "conv2d \(name)")
            }
        }
    }

    @Test(arguments: TestBackend.allCases)
    func spaceToDepthOrders(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("patchify.x")
            let p = x.spaceToDepth([1, 4, 4], order: .timeWidthHeight)
            #expect(p == (try f.tensor("patchify.out")))
            #expect(p.depthToSpace([1, 4, 4], order: .timeWidthHeight) == x)
            // Sanity mutation: the usual order is not ltx-core's patchify order.
            #expect(x.spaceToDepth([1, 4, 4], order: .timeHeightWidth) != (try f.tensor("patchify.out")))
            let x2 = try f.tensor("patchify2d.x")
            #expect(x2.spaceToDepth([4, 4], order: .timeWidthHeight) == (try f.tensor("patchify2d.out")))
            #expect(try f.tensor("shuffle3d.x").depthToSpace([2, 2, 2]) == (try f.tensor("shuffle3d.out")))
            #expect(try f.tensor("shuffle2d.x").depthToSpace([2, 2]) == (try f.tensor("shuffle2d.out")))
        }
    }

    /// ltx-core's SpaceToDepthDownsample, rebuilt from the ops: frame 0 duplicated, skip =
    /// channel-group mean of the space-to-depth, main = causal conv then space-to-depth.
    @Test(arguments: TestBackend.allCases)
    func spaceToDepthDownsampleBlock(on backend: TestBackend) throws {
        try backend.run {
            var x = try f.tensor("s2d_block.x")  // [1, 4, 5, 4, 6]
            x = Tensor.concatenated([x.sliced(axis: 2, 0..<1), x], axis: 2)
            let skip = x.spaceToDepth([2, 2, 2])  // [1, 32, 3, 2, 3]
            let s = skip.shape
            let grouped = skip.reshaped([s[0], 16, 2, s[2], s[3], s[4]]).mean(alongAxis: 2)
            let main = x.causalConv3d(
                weight: try f.tensor("s2d_block.conv.conv.weight"), bias: try f.tensor("s2d_block.conv.conv.bias")
            ).spaceToDepth([2, 2, 2])
            expectClose(main + grouped, try f.tensor("s2d_block.out"), absolute: 1e-5, relative: 1e-5, "SpaceToDepthDownsample")
        }
    }

    /// ltx-core's DepthToSpaceUpsample (residual, channel reduction 2, non-causal), rebuilt.
    @Test(arguments: TestBackend.allCases)
    func depthToSpaceUpsampleBlock(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("d2s_block.x")  // [1, 8, 3, 2, 3]
            let unfolded = x.depthToSpace([2, 2, 2])  // [1, 1, 6, 4, 6]
            let residual = Tensor.concatenated(Array(repeating: unfolded, count: 4), axis: 1)
            let frames = residual.shape[2]
            let main = x.causalConv3d(
                weight: try f.tensor("d2s_block.conv.conv.weight"), bias: try f.tensor("d2s_block.conv.conv.bias"),
                causal: false
            ).depthToSpace([2, 2, 2])
            let y = main.sliced(axis: 2, 1..<frames) + residual.sliced(axis: 2, 1..<frames)
            expectClose(y, try f.tensor("d2s_block.out"), absolute: 1e-5, relative: 1e-5, "DepthToSpaceUpsample")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func interpolation(on backend: TestBackend) throws {
        try backend.run {
            let x = try f.tensor("interp.x")
            let cases: [(String, [Int], InterpolationMode)] = [
                ("area", [7, 5], .area), ("bilinear_up", [17, 19], .bilinear),
                ("bilinear_down", [6, 8], .bilinear), ("nearest", [5, 20], .nearest),
            ]
            for (name, size, mode) in cases {
                expectClose(
                    x.interpolated(size: size, mode: mode), try f.tensor("interp.\(name)"), absolute: 1e-6, relative: 1e-5,
                    "interpolate \(name)")
            }
            // Sanity mutation: nearest is not bilinear.
            expectFar(
                x.interpolated(size: [17, 19], mode: .nearest), try f.tensor("interp.bilinear_up"), absolute: 1e-3,
                relative: 1e-3, "nearest vs bilinear")
        }
    }
}
