import Foundation
import Synchronization
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// bf16 `linear` and attention through oneDNN (`OneDNN`, opened at run time) against the
/// float32 OpenBLAS paths they replace (widen, `sgemm`, round once). Both accumulate in
/// float32, in different orders, so a result may move by one bf16 ulp where the float32 sum
/// sits near a rounding boundary; everything else must be equal.
@Suite(.serialized) struct OneDNNTests {
    /// oneDNN 2.6 has bf16 kernels from AVX-512 on; on an AVX2-only CPU the bf16 products stay
    /// on OpenBLAS (checked by `declinesWhatItDoesNotTake` and the bf16 fixture tests) and the
    /// tests of the oneDNN path skip.
    static let bf16Kernels = OneDNN.enabled && OneDNN.hasBF16Kernels

    /// CI installs Debian's libdnnl2 (scripts/setup); without it these tests would only
    /// check the fallback.
    @Test func isOpenedWhereInstalled() {
        guard ProcessInfo.processInfo.environment["REELFLOW_ONEDNN"] != "0" else { return }
        #expect(OneDNN.summary.hasPrefix("oneDNN 2."), "\(OneDNN.summary) (scripts/setup installs libdnnl2)")
    }

    enum Bias: CaseIterable, Sendable { case none, bf16, f32 }

    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)"), arguments: [[1, 1, 1], [3, 7, 5], [2, 33, 300, 70], [1, 129, 64, 2048], [1, 130, 1100, 300]], Bias.allCases)
    func bf16LinearMatchesTheFloat32Path(shape: [Int], bias: Bias) throws {
        // shape: leading axes..., rows, in, out
        let lead = Array(shape.dropLast(2)), (k, n) = (shape[shape.count - 2], shape[shape.count - 1])
        var rng = SeededRandom(seed: UInt64(shape.reduce(7, *)))
        let x = rng.tensor(lead + [k]).to(dtype: .bf16)
        let w = rng.tensor([n, k], scale: 1 / Float(k).squareRoot()).to(dtype: .bf16)
        let b: Tensor? = switch bias {
        case .none: nil
        case .bf16: rng.tensor([n]).to(dtype: .bf16)
        case .f32: rng.tensor([n])
        }
        let product = try #require(OneDNN.linear(x, weight: w, bias: b))
        let expected = x.to(dtype: .f32).linear(weight: w.to(dtype: .f32), bias: b?.to(dtype: .f32)).to(dtype: .bf16)
        #expect(product.shape == lead + [n] && product.dtype == .bf16)
        let (got, want) = (product.hostScalars(), expected.hostScalars())
        let moved = zip(got, want).filter { $0 != $1 }.count
        // Results far below the largest are sums with heavy cancellation, where the two float32
        // summation orders differ by a few ulps of the small result (at 1100 inputs); there the
        // difference must stay within an ulp of a value 2^6 below the largest.
        let largest = want.map(abs).max() ?? 0
        let small = zip(got, want).filter { abs($0.1) < largest / 64 }
        let worstSmall = small.map { abs($0.0 - $0.1) }.max() ?? 0
        let large = got.indices.filter { abs(want[$0]) >= largest / 64 }
        let pick = { (values: [Float]) in Tensor(shape: [large.count], scalars: large.map { values[$0] }).to(dtype: .bf16) }
        #expect(ulpDistance(pick(got), pick(want)).max <= 1, "more than 1 bf16 ulp from the float32 path")
        #expect(worstSmall <= largest / 64 / 128, "a result near zero moved by \(worstSmall)")
        #expect(moved * 20 <= got.count, "\(moved) of \(got.count) results moved by an ulp")
        #expect(!OneDNN.lastImplementation.isEmpty)
    }

    /// A plan asked for an implementation by name takes it where oneDNN has it and oneDNN's
    /// first choice where not; a bf16 `linear` with an inner dimension of 1024 or more takes the
    /// `gemm:jit` kernel where the first choice is the AMX brgemm (the shape above with 1100
    /// inputs checks its values).
    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)")) func longProductsPreferTheGemmKernel() throws {
        let (m, k, n) = (64, 1024, 256)
        func plan(_ preferring: String?) -> OneDNN.Product? {
            OneDNN.product(
                m: m, k: k, n: n, a: .bf16(m * k, k, 1), b: .bf16(n * k, 1, k), c: .bf16(m * n, n, 1), threads: 1,
                preferring: preferring)
        }
        let first = try #require(plan(nil))
        #expect(plan("no-such-kernel")?.implementation == first.implementation)
        guard first.implementation.hasPrefix("brg:avx512_core_amx"), OneDNN.prefersGemmKernel else { return }
        #expect(plan("gemm:jit")?.implementation.hasPrefix("gemm:jit") == true)
        var rng = SeededRandom(seed: 9)
        _ = try #require(OneDNN.linear(rng.tensor([m, k]).to(dtype: .bf16), weight: rng.tensor([n, k]).to(dtype: .bf16), bias: nil))
        #expect(OneDNN.lastImplementation.hasPrefix("gemm:jit"), "\(OneDNN.lastImplementation)")
        _ = try #require(OneDNN.linear(rng.tensor([m, 512]).to(dtype: .bf16), weight: rng.tensor([n, 512]).to(dtype: .bf16), bias: nil))
        #expect(OneDNN.lastImplementation.hasPrefix("brg:avx512_core_amx"), "short products keep the brgemm")
    }

    /// Long products with more outputs than the gemm rule takes (4096 here) run as column
    /// blocks of 2048 on the gemm kernel: each block's weight rows, bias and output columns
    /// in place, the same values as one product on the brgemm (within the float32 summation
    /// orders' one ulp, as the other paths), and a block's mistake shows.
    /// A [4096, 1024] bf16 weight of varied values, made once (random draws of 4M values take
    /// seconds in a debug build).
    static let wideWeight = Tensor(
        shape: [4096, 1024], scalars: (0..<(4096 * 1024)).map { Float(($0 &* 7919) % 2001 - 1000) / 32000 }
    ).to(dtype: .bf16)

    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)"), arguments: Bias.allCases)
    func wideLongProductsRunInColumnBlocks(bias: Bias) throws {
        let (m, k, n) = (40, 1024, 4096)
        var rng = SeededRandom(seed: 19)
        let (x, w) = (rng.tensor([m, k]).to(dtype: .bf16), Self.wideWeight)
        let b: Tensor? = switch bias {
        case .none: nil
        case .bf16: rng.tensor([n]).to(dtype: .bf16)
        case .f32: rng.tensor([n])
        }
        let blocked = try #require(OneDNN.linear(x, weight: w, bias: b))
        let chosen = OneDNN.lastImplementation
        OneDNN.prefersGemmKernel = false
        defer { OneDNN.prefersGemmKernel = true }
        let whole = try #require(OneDNN.linear(x, weight: w, bias: b))
        guard OneDNN.lastImplementation.hasPrefix("brg:avx512_core_amx") else { return }
        #expect(chosen.hasPrefix("gemm:jit"), "\(chosen)")
        #expect(ulpDistance(blocked, whole).max <= 1)
        let moved = zip(blocked.hostScalars(), whole.hostScalars()).filter { $0 != $1 }.count
        #expect(moved * 10 <= blocked.count, "\(moved) of \(blocked.count) moved")
    }

    /// A thread keeps the scratchpad its runs need for the next run, up to 64 MiB; a larger one
    /// (oneDNN's gemm kernel keeps its float32 result there: 9000 x 2048 is 70 MiB) is freed
    /// after its run. (Where oneDNN offers no gemm kernel both scratchpads are small and kept.)
    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)")) func scratchpadsAreKeptUpToACap() throws {
        let cap = 64 << 20
        let products = [(8, 64, 96), (9000, 64, 2048)].map { m, k, n in
            (m, k, n, OneDNN.product(
                m: m, k: k, n: n, a: .bf16(m * k, k, 1), b: .bf16(n * k, 1, k), c: .bf16(m * n, n, 1), threads: 1,
                preferring: "gemm:jit"))
        }
        for (m, k, n, plan) in products {
            let plan = try #require(plan)
            let a = [UInt16](repeating: 0x3F80, count: m * k), b = [UInt16](repeating: 0, count: k * n)
            var c = [UInt16](repeating: 0xFFFF, count: m * n)
            a.withUnsafeBytes { a in b.withUnsafeBytes { b in c.withUnsafeMutableBytes { c in
                plan.run(a.baseAddress, b.baseAddress, into: c.baseAddress, threads: 1)
            } } }
            #expect(c.allSatisfy { $0 == 0 }, "\(m) x \(k) x \(n) ran")
            let kept = OneDNN.Product.keptScratchpadBytes
            if plan.scratchpadBytes > cap {
                #expect(kept == 0, "a \(plan.scratchpadBytes)-byte scratchpad is not kept")
            } else {
                #expect(kept >= plan.scratchpadBytes && kept <= cap, "kept \(kept) for \(plan.scratchpadBytes)")
            }
        }
    }

    /// The comparison above can fail: a product with one weight row changed is caught.
    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)")) func aChangedWeightIsCaught() throws {
        var rng = SeededRandom(seed: 3)
        let x = rng.tensor([4, 16]).to(dtype: .bf16), w = rng.tensor([8, 16]).to(dtype: .bf16)
        let changed = Tensor.concatenated([w.sliced(axis: 0, 0..<7), w.sliced(axis: 0, 0..<1)], axis: 0)
        let product = try #require(OneDNN.linear(x, weight: changed, bias: nil))
        let expected = x.to(dtype: .f32).linear(weight: w.to(dtype: .f32)).to(dtype: .bf16)
        #expect(ulpDistance(product, expected).max > 1)
    }

    /// Empty products and other dtypes are left to the OpenBLAS path.
    @Test func declinesWhatItDoesNotTake() {
        let x = Tensor(shape: [0, 4], scalars: []).to(dtype: .bf16), w = Tensor(shape: [3, 4], scalars: Array(repeating: 1, count: 12)).to(dtype: .bf16)
        #expect(OneDNN.linear(x, weight: w, bias: nil) == nil)
        #expect(x.linear(weight: w).shape == [0, 3])
        let f = Tensor(shape: [2, 4], scalars: Array(repeating: 1, count: 8))
        #expect(OneDNN.linear(f, weight: w.to(dtype: .f32), bias: nil) == nil)
    }

    /// Attention on bf16 operands multiplies its tiles with oneDNN; the float32 kernel with
    /// the same bf16 rounding of the probabilities is the yardstick. Tiles of 7 x 16 make edge
    /// tiles in both directions; the masks cover the additive and the grouped bias.
    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)"), arguments: [false, true])
    func bf16AttentionMatchesTheFloat32Kernel(grouped: Bool) throws {
        var rng = SeededRandom(seed: grouped ? 41 : 40)
        let (b, t, heads, d) = (2, 37, 3, 16)
        let q = rng.tensor([b, t, heads * d]).to(dtype: .bf16), k = rng.tensor([b, t, heads * d]).to(dtype: .bf16)
        let v = rng.tensor([b, t, heads * d]).to(dtype: .bf16)
        let mask: AttentionMask = grouped
            ? .groups(TokenGroupWeights(
                groups: (0..<t).map { $0 < 20 ? 0 : ($0 < 30 ? 1 : 2) }, cross: (0..<(b * t)).map { _ in Float.random(in: 0.2...1, using: &rng) },
                batch: b, firstIsolatedGroup: 2, dtype: .bf16))
            : .additive(rng.tensor([t, t], scale: 2))
        for (bq, bk) in [(7, 16), (256, 512)] {
            let product = Tensor.cpuAttention(
                query: q, key: k, value: v, heads: heads, mask: mask, queryBlock: bq, keyBlock: bk, roundProbabilities: true
            ).to(dtype: .bf16)
            let expected = Tensor.cpuAttention(
                query: q.to(dtype: .f32), key: k.to(dtype: .f32), value: v.to(dtype: .f32), heads: heads, mask: mask,
                queryBlock: bq, keyBlock: bk, roundProbabilities: true
            ).to(dtype: .bf16)
            let moved = zip(product.hostScalars(), expected.hostScalars()).filter { $0 != $1 }.count
            #expect(ulpDistance(product, expected).max <= 1, "tiles \(bq) x \(bk)")
            #expect(moved * 10 <= product.count, "tiles \(bq) x \(bk): \(moved) of \(product.count) moved")
        }
    }

    /// One plan run on several threads at once gives every thread the serial result: each run
    /// has its own scratchpad (Debian's oneDNN shares the library scratchpad within a thread).
    @Test(.enabled(if: OneDNNTests.bf16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)")) func plansRunOnManyThreadsAtOnce() throws {
        var rng = SeededRandom(seed: 5)
        let x = rng.tensor([96, 256]).to(dtype: .bf16), w = rng.tensor([320, 256], scale: 0.06).to(dtype: .bf16)
        let serial = try #require(OneDNN.linear(x, weight: w, bias: nil)).hostScalars()
        let results = Mutex<[[Float]]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let y = OneDNN.linear(x, weight: w, bias: nil)?.hostScalars() ?? []
            results.withLock { $0.append(y) }
        }
        #expect(results.withLock { $0.allSatisfy { $0 == serial } })
    }
}
