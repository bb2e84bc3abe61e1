import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// bf16 attention on AMX tiles (`AMXTileProducts`) against the float32 kernel on the same bf16
/// values, and against oneDNN's tile products: all three sum float32 products of bf16 values in
/// their own orders, so a result may move by one bf16 ulp where a sum sits near a rounding
/// boundary, no more. Shapes cover partial 16-row blocks, key counts off the 16- and 32-key
/// tiles, every head width the kernels take, values narrower and wider than 64, and masks.
@Suite(.serialized) struct AMXAttentionTests {
    static let amx = AMXTileProducts.available && AMXTileProducts.enabled

    struct Case: Sendable, CustomTestStringConvertible {
        var tokens: Int, keys: Int, heads: Int, depth: Int, width: Int, masked: Bool
        var testDescription: String { "\(tokens)x\(keys) tokens, \(heads) heads of \(depth)/\(width)\(masked ? ", masked" : "")" }
    }

    static let cases: [Case] = [
        Case(tokens: 37, keys: 37, heads: 3, depth: 32, width: 32, masked: false),
        Case(tokens: 70, keys: 129, heads: 2, depth: 64, width: 64, masked: false),
        Case(tokens: 33, keys: 600, heads: 1, depth: 128, width: 128, masked: false),
        Case(tokens: 20, keys: 45, heads: 2, depth: 96, width: 48, masked: false),
        Case(tokens: 50, keys: 50, heads: 2, depth: 64, width: 16, masked: true),
    ]

    /// The elements of `a` more than one bf16 ulp from `b`'s, leaving out results of
    /// cancellation: values within 2^-16 of the largest magnitude of `b` (one such output,
    /// -1.2e-7 against -1.3e-7, is 15 ulps apart: the float32 sums' orders differ).
    func farApart(_ a: Tensor, _ b: Tensor) -> [(Float, Float)] {
        let x = a.hostScalars(), y = b.hostScalars()
        let floor = (y.map(abs).max() ?? 0) / 65536
        return zip(x, y).filter { x, y in
            abs(x - y) > floor && ulpDistance(Tensor(shape: [1], scalars: [x]).to(dtype: .bf16),
                                              Tensor(shape: [1], scalars: [y]).to(dtype: .bf16)).max > 1
        }
    }

    @Test(.enabled(if: AMXAttentionTests.amx, "no AMX on this CPU"), arguments: cases)
    func matchesTheFloat32KernelAndOneDNN(c: Case) throws {
        var rng = SeededRandom(seed: UInt64(c.tokens * 31 + c.keys * 7 + c.depth))
        let q = rng.tensor([2, c.tokens, c.heads * c.depth]).to(dtype: .bf16)
        let k = rng.tensor([2, c.keys, c.heads * c.depth]).to(dtype: .bf16)
        let v = rng.tensor([2, c.keys, c.heads * c.width]).to(dtype: .bf16)
        let mask: AttentionMask? = c.masked ? .additive(rng.tensor([c.tokens, c.keys], scale: 2)) : nil
        for (bq, bk) in [(16, 32), (7, 64), (256, 512)] {
            func run(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor {
                Tensor.cpuAttention(
                    query: q, key: k, value: v, heads: c.heads, mask: mask, queryBlock: bq, keyBlock: bk,
                    roundProbabilities: true
                ).to(dtype: .bf16)
            }
            let product = run(q, k, v)
            let expected = run(q.to(dtype: .f32), k.to(dtype: .f32), v.to(dtype: .f32))
            let moved = zip(product.hostScalars(), expected.hostScalars()).filter { $0 != $1 }.count
            let far = farApart(product, expected)
            #expect(far.count == 0, "tiles \(bq) x \(bk): \(far.prefix(3))")
            #expect(moved * 10 <= product.count, "tiles \(bq) x \(bk): \(moved) of \(product.count) moved")
            AMXTileProducts.enabled = false
            defer { AMXTileProducts.enabled = true }
            let oneDNN = run(q, k, v)
            let farFromOneDNN = farApart(product, oneDNN)
            #expect(farFromOneDNN.count == 0, "tiles \(bq) x \(bk) against oneDNN: \(farFromOneDNN.prefix(3))")
        }
    }
}
