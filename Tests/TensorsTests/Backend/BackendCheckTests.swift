import Testing
import Tensors
import TensorsTestSupport

/// The device self-check of `reelflow devices --self-test` (`BackendCheck`), on an emulated
/// device: it passes where the device computes what the CPU does, and names the op where a
/// backend is off.
@Suite struct BackendCheckTests {
    /// Computes like the CPU except that attention comes out 1% too large.
    final class OffBackend: Backend, @unchecked Sendable {
        let inner: EmulatedDeviceBackend
        var name: String { "off" }
        var device: Device { inner.device }
        init(device: Device) { inner = EmulatedDeviceBackend(device: device) }
        func transfer(_ t: Tensor, to d: Device) -> Tensor { inner.transfer(t, to: d) }
        func convert(_ t: Tensor, to dtype: DType) -> Tensor { inner.convert(t, to: dtype) }
        func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor { inner.linear(x, weight: weight, bias: bias) }
        func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
            inner.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        }
        func attention(query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?, scale: Float) -> Tensor {
            let out = inner.attention(query: query, key: key, value: value, layout: layout, mask: mask, scale: scale)
            return inner.binary(.multiply, out, inner.transfer(Tensor(1.01), to: device))
        }
        func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor { inner.unary(op, x) }
        func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor { inner.binary(op, a, b) }
        func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor { inner.modulate(x, scale: scale, shift: shift) }
        func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor { inner.gatedResidual(x, y, gate: gate) }
        func sum(_ x: Tensor, axis: Int) -> Tensor { inner.sum(x, axis: axis) }
        func softmax(_ x: Tensor) -> Tensor { inner.softmax(x) }
        func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor { inner.rmsNorm(x, weight: weight, eps: eps) }
        func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
            inner.layerNorm(x, weight: weight, bias: bias, eps: eps)
        }
        func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
            inner.groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
        }
        func pixelNorm(_ x: Tensor, eps: Float) -> Tensor { inner.pixelNorm(x, eps: eps) }
        func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor { inner.rope(x, cos: cos, sin: sin, layout: layout) }
        func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
            inner.conv3d(x, weight: weight, bias: bias, stride: stride, padding: padding)
        }
        func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor { inner.spaceToDepth(x, factors: factors, order: order) }
        func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor { inner.depthToSpace(x, factors: factors, order: order) }
        func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor { inner.interpolate(x, size: size, mode: mode) }
        func permute(_ x: Tensor, axes: [Int]) -> Tensor { inner.permute(x, axes: axes) }
        func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor { inner.slice(x, axis: axis, range: range) }
        func concat(_ tensors: [Tensor], axis: Int) -> Tensor { inner.concat(tensors, axis: axis) }
        func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int]) { inner.addRegion(&base, values, offsets: offsets) }
    }

    @Test func passesWhereTheDeviceComputesAsTheCPU() throws {
        BackendRegistry.register(EmulatedDeviceBackend(device: .cuda(9)))
        let summary = try BackendCheck.run(on: .cuda(9))
        #expect(summary.hasPrefix("backend self-check passed on cuda:9: 7 ops"), "\(summary)")
    }

    @Test func namesTheOpThatIsOff() {
        BackendRegistry.register(OffBackend(device: .cuda(10)))
        #expect { _ = try BackendCheck.run(on: .cuda(10)) } throws: { error in
            "\(error)".contains("attention, 2 heads x 128 in F32")  // 1% is inside the bf16 bound (1/64)
        }
    }
}
