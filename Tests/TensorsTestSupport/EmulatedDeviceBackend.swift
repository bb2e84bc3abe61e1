import Tensors

/// A backend for a GPU device that computes with the CPU backend: its tensors are host tensors
/// labelled with the device. It lets tests on machines without a GPU run code paths that move
/// tensors to a device and back (`--device cuda` through the nodes, say): a tensor left on the
/// host where a device tensor is expected stops the op (operands on two devices), and results
/// are the CPU backend's bit for bit, so a device run can be compared exactly with a CPU run.
/// Not a GPU: the CUDA backend's own kernels are checked by `cuda-op-suite` on a GPU machine.
/// Open, so a test can make one op misbehave (`BackendCheckTests`).
open class EmulatedDeviceBackend: Backend, @unchecked Sendable {
    open var name: String { "emulated" }
    public let device: Device
    let cpu = CPUBackend.shared

    public init(device: Device) {
        precondition(device != .cpu, "an emulated device is not the CPU")
        self.device = device
    }

    /// A host tensor held as this device's.
    final class Storage: TensorStorage, @unchecked Sendable {
        let host: Tensor
        let device: Device
        init(_ host: Tensor, _ device: Device) { (self.host, self.device) = (host, device) }
        var byteCount: Int { host.storage.byteCount }
    }

    public func wrap(_ t: Tensor) -> Tensor {
        precondition(t.device == .cpu)
        return Tensor(shape: t.shape, dtype: t.dtype, storage: Storage(t, device))
    }

    public func host(_ t: Tensor) -> Tensor {
        guard let s = t.storage as? Storage else { preconditionFailure("a \(t.device) tensor given to the emulated \(device)") }
        // The device tensor may have been reshaped since (shape-only ops keep the storage).
        return s.host.shape == t.shape ? s.host : s.host.reshaped(t.shape)
    }

    func host(_ t: Tensor?) -> Tensor? { t.map { host($0) } }

    open func transfer(_ tensor: Tensor, to device: Device) -> Tensor {
        if tensor.device == device { return tensor }
        return device == self.device ? wrap(tensor) : host(tensor)
    }

    open func convert(_ tensor: Tensor, to dtype: DType) -> Tensor { wrap(cpu.convert(host(tensor), to: dtype)) }
    open func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        wrap(cpu.linear(host(x), weight: host(weight), bias: host(bias)))
    }
    open func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        wrap(cpu.matmul(host(a), host(b), transposeA: transposeA, transposeB: transposeB))
    }
    open func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?, scale: Float
    ) -> Tensor {
        let hostMask: AttentionMask? = switch mask {
        case .additive(let t)?: .additive(host(t))
        case .multiplicative(let t)?: .multiplicative(host(t))
        case let other: other
        }
        return wrap(cpu.attention(query: host(query), key: host(key), value: host(value), layout: layout, mask: hostMask, scale: scale))
    }
    open func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor { wrap(cpu.unary(op, host(x))) }
    open func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor { wrap(cpu.binary(op, host(a), host(b))) }
    open func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        wrap(cpu.modulate(host(x), scale: host(scale), shift: host(shift)))
    }
    open func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor {
        wrap(cpu.gatedResidual(host(x), host(y), gate: host(gate)))
    }
    open func sum(_ x: Tensor, axis: Int) -> Tensor { wrap(cpu.sum(host(x), axis: axis)) }
    open func softmax(_ x: Tensor) -> Tensor { wrap(cpu.softmax(host(x))) }
    open func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor { wrap(cpu.rmsNorm(host(x), weight: host(weight), eps: eps)) }
    open func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        wrap(cpu.layerNorm(host(x), weight: host(weight), bias: host(bias), eps: eps))
    }
    open func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        wrap(cpu.groupNorm(host(x), groups: groups, weight: host(weight), bias: host(bias), eps: eps))
    }
    open func pixelNorm(_ x: Tensor, eps: Float) -> Tensor { wrap(cpu.pixelNorm(host(x), eps: eps)) }
    open func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        wrap(cpu.rope(host(x), cos: host(cos), sin: host(sin), layout: layout))
    }
    open func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
        wrap(cpu.conv3d(host(x), weight: host(weight), bias: host(bias), stride: stride, padding: padding))
    }
    open func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        wrap(cpu.spaceToDepth(host(x), factors: factors, order: order))
    }
    open func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        wrap(cpu.depthToSpace(host(x), factors: factors, order: order))
    }
    open func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor {
        wrap(cpu.interpolate(host(x), size: size, mode: mode))
    }
    open func permute(_ x: Tensor, axes: [Int]) -> Tensor { wrap(cpu.permute(host(x), axes: axes)) }
    open func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor { wrap(cpu.slice(host(x), axis: axis, range: range)) }
    open func concat(_ tensors: [Tensor], axis: Int) -> Tensor { wrap(cpu.concat(tensors.map { host($0) }, axis: axis)) }
    open func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int]) {
        var h = host(base)  // shared with base's storage, so the CPU backend copies before writing
        cpu.addRegion(&h, host(values), offsets: offsets)
        base = wrap(h)
    }
}
