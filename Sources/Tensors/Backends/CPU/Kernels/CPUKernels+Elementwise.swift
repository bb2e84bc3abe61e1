internal import CKernels
import Foundation
/// CPU kernels of the element-wise family: the broadcast loops (specialised per op so they
/// vectorise) and the activations through the CKernels C loops. float32 host operands only;
/// `CPUBackend` converts other dtypes around them.
extension Tensor {
    /// The activation `op` over every element.
    func cpuUnary(_ op: UnaryOp) -> Tensor {
        if let kind = op.activationKind { return unary(kind) }
        return sinCos(cosine: op == .cos)
    }

    /// cos or sin of every element by the C kernel (vectorised; the C library's beyond
    /// |x| = 65536), in chunks of 4096 over threads (about 1 ns an element).
    func sinCos(cosine: Bool) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = out.baseAddress else { return }
                parallelFor(src.count, grain: 1 << 12) { range in
                    reelflow_sincos_f32(cosine ? 1 : 0, s + range.lowerBound, d + range.lowerBound, range.count)
                }
            }
        }
    }

    /// The element-wise function `kind` (a `REELFLOW_` constant of CKernels) over every
    /// element, in chunks spread over threads; each chunk runs the C kernel (AVX2 + FMA where
    /// the CPU has them).
    func unary(_ kind: Int32) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = out.baseAddress else { return }
                parallelFor(src.count, grain: 1 << 15) { range in
                    reelflow_activation_f32(kind, s + range.lowerBound, d + range.lowerBound, range.count)
                }
            }
        }
    }

    /// The activation `kind` written over this tensor's own elements (copied first if the
    /// storage is shared or mapped): the values of `unary(kind)` on float32 and of
    /// `cpuUnaryBF16(kind)` on bf16, without a second tensor. False (nothing done) for other
    /// dtypes.
    mutating func activateInPlace(_ kind: Int32) -> Bool {
        switch dtype {
        case .f32:
            withUnsafeMutableBufferPointer { buffer in
                guard let d = buffer.baseAddress else { return }
                parallelFor(buffer.count, grain: 1 << 15) { range in
                    reelflow_activation_f32(kind, d + range.lowerBound, d + range.lowerBound, range.count)
                }
            }
        case .bf16:
            withUnsafeMutableWords { words in
                guard let w = words.baseAddress else { return }
                Tensor.activateWords(kind, words.count, from: w, to: w)
            }
        default:
            return false
        }
        return true
    }

    /// `transform` over every element of a float32 CPU tensor, spread over threads.
    func cpuMap(_ transform: (Float) -> Float) -> Tensor { unaryMap(transform) }

    @inline(__always)
    func unaryMap(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                let s = src.baseAddress, d = out.baseAddress
                parallelFor(src.count, grain: 1 << 15) { range in
                    for i in range { d![i] = transform(s![i]) }
                }
            }
        }
    }

    static func broadcast<Op: BinaryKernel>(_ lhs: Tensor, _ rhs: Tensor, _ op: Op.Type) -> Tensor {
        guard let outShape = broadcastShape(lhs.shape, rhs.shape) else {
            fatalError("\(Op.name): shapes \(lhs.shape) and \(rhs.shape) do not broadcast")
        }
        let plan = BroadcastPlan(outShape: outShape, lhs: lhs.shape, rhs: rhs.shape)
        return Tensor(shape: outShape) { out in
            lhs.withUnsafeBufferPointer { a in
                rhs.withUnsafeBufferPointer { b in
                    plan.run(a.baseAddress, b.baseAddress, out.baseAddress, Op.self)
                }
            }
        }
    }
}

/// A binary element-wise operation, specialised into the broadcast loops.
extension UnaryOp {
    /// The CKernels function (`REELFLOW_` constant) that computes it, or nil (cos, sin).
    var activationKind: Int32? {
        switch self {
        case .exp: Int32(REELFLOW_EXP)
        case .sigmoid: Int32(REELFLOW_SIGMOID)
        case .silu: Int32(REELFLOW_SILU)
        case .geluTanh: Int32(REELFLOW_GELU_TANH)
        case .cos, .sin: nil
        }
    }
}

protocol BinaryKernel {
    static var name: String { get }
    static func apply(_ a: Float, _ b: Float) -> Float
    /// The `reelflow_bf16_binary` op that computes `apply` on bf16 words, if there is one.
    static var wordOp: Int32? { get }
}

extension BinaryKernel {
    static var wordOp: Int32? { nil }
}

enum Add: BinaryKernel {
    static var wordOp: Int32? { Int32(REELFLOW_ADD) }
    static let name = "add"
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}

enum Subtract: BinaryKernel {
    static var wordOp: Int32? { Int32(REELFLOW_SUBTRACT) }
    static let name = "subtract"
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}

enum Multiply: BinaryKernel {
    static var wordOp: Int32? { Int32(REELFLOW_MULTIPLY) }
    static let name = "multiply"
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}

enum Divide: BinaryKernel {
    static var wordOp: Int32? { Int32(REELFLOW_DIVIDE) }
    static let name = "divide"
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}

enum Maximum: BinaryKernel {
    static let name = "maximum"
    /// torch `maximum`: NaN wins.
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
}

/// The loop nest of one broadcast: the output shape with both operands' strides (0 along
/// repeated axes), adjacent axes merged where both operands step uniformly across them, so
/// `[B, C, F, H, W] * [1, C, 1, 1, 1]` becomes rows of `F*H*W` against one scalar each.
struct BroadcastPlan {
    var extents: [Int] = []
    var lhsStrides: [Int] = []
    var rhsStrides: [Int] = []

    init(outShape: [Int], lhs: [Int], rhs: [Int]) {
        let rank = outShape.count
        func strides(_ shape: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - shape.count) + shape
            let dense = Tensor.strides(of: padded)
            return (0..<rank).map { padded[$0] == 1 && outShape[$0] != 1 ? 0 : dense[$0] }
        }
        let ls = strides(lhs), rs = strides(rhs)
        for axis in 0..<rank where outShape[axis] != 1 {
            if let last = extents.indices.last,
                lhsStrides[last] == ls[axis] * outShape[axis],
                rhsStrides[last] == rs[axis] * outShape[axis]
            {
                extents[last] *= outShape[axis]
                lhsStrides[last] = ls[axis]
                rhsStrides[last] = rs[axis]
            } else {
                extents.append(outShape[axis])
                lhsStrides.append(ls[axis])
                rhsStrides.append(rs[axis])
            }
        }
        if extents.isEmpty {
            extents = [1]
            lhsStrides = [0]
            rhsStrides = [0]
        }
    }

    func run<Op: BinaryKernel>(
        _ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>?,
        _ op: Op.Type
    ) {
        let inner = extents[extents.count - 1]
        let total = extents.reduce(1, *)
        guard total > 0, let a, let b, let out else { return }
        let rows = total / inner
        let la = lhsStrides[extents.count - 1], lb = rhsStrides[extents.count - 1]
        if rows == 1 {
            // One merged axis (same shapes, or a scalar against a tensor): its elements are cut
            // into chunks, so large ones still run on every thread.
            parallelFor(inner, grain: 1 << 15) { range in
                Self.row(Op.self, a + range.lowerBound * la, la, b + range.lowerBound * lb, lb, out + range.lowerBound, range.count)
            }
            return
        }
        let outer = self.outer
        parallelFor(rows, grain: max(1, (1 << 15) / inner)) { range in
            if extents.count == 2 {
                // One outer axis (most broadcasts after merging): its strides, no index walk.
                let (sa, sb) = (lhsStrides[0], rhsStrides[0])
                for row in range { Self.row(Op.self, a + row * sa, la, b + row * sb, lb, out + row * inner, inner) }
                return
            }
            for row in range {
                let (offA, offB) = outer.offsets(row)
                Self.row(Op.self, a + offA, la, b + offB, lb, out + row * inner, inner)
            }
        }
    }

    /// `out[j] = op(a[j·la], b[j·lb])` for `count` elements; rows and repeated values of the
    /// four arithmetic ops run in C (AVX-512 where the CPU has it: the package's Swift is built
    /// for SSE2), the same IEEE operation per element.
    @inline(__always)
    static func row<Op: BinaryKernel>(
        _: Op.Type, _ pa: UnsafePointer<Float>, _ la: Int, _ pb: UnsafePointer<Float>, _ lb: Int,
        _ po: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        if let op = Op.wordOp, la <= 1, lb <= 1 {
            reelflow_f32_binary(op, pa, la, pb, lb, po, count)
            return
        }
        switch (la, lb) {
        case (1, 1): for j in 0..<count { po[j] = Op.apply(pa[j], pb[j]) }
        case (1, 0):
            let y = pb[0]
            for j in 0..<count { po[j] = Op.apply(pa[j], y) }
        case (0, 1):
            let x = pa[0]
            for j in 0..<count { po[j] = Op.apply(x, pb[j]) }
        default: for j in 0..<count { po[j] = Op.apply(pa[j * la], pb[j * lb]) }
        }
    }
}

/// Strided axes of two operands walked together: the element offsets of item `i` (row-major
/// over `extents`) in both.
struct StridedOffsets {
    let extents: [Int], lhs: [Int], rhs: [Int]

    func offsets(_ item: Int) -> (Int, Int) {
        var rem = item, offA = 0, offB = 0
        for axis in extents.indices.reversed() {
            let i = rem % extents[axis]
            rem /= extents[axis]
            offA += i * lhs[axis]
            offB += i * rhs[axis]
        }
        return (offA, offB)
    }
}

extension BroadcastPlan {
    /// All axes: offsets of output item `item` (matmul's batch items).
    func offsets(ofItem item: Int) -> (Int, Int) {
        StridedOffsets(extents: extents, lhs: lhsStrides, rhs: rhsStrides).offsets(item)
    }

    /// The outer (all but the innermost) axes: offsets of each output row.
    var outer: StridedOffsets {
        StridedOffsets(extents: Array(extents.dropLast()), lhs: Array(lhsStrides.dropLast()), rhs: Array(rhsStrides.dropLast()))
    }
}
