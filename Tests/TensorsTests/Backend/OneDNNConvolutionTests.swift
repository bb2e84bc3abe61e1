import Foundation
import CKernels
import ReelflowTestSupport
import Synchronization
import Testing
@testable import Tensors
import TensorsTestSupport

/// Float32 convolutions through oneDNN (`OneDNN.conv3d`): its bands, its padding and its
/// independence from the thread count. `ConvolutionTests` compares both paths with the naive
/// convolution on random shapes.
@Suite struct OneDNNConvolutionTests {
    static let available = OneDNN.enabled

    /// A VAE-shaped layer: oneDNN takes it with a fast kernel (not its reference or GEMM one).
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"))
    func takesTheVAELayersWithDirectKernels() throws {
        var rng = SeededRandom(seed: 60)
        let x = rng.tensor([1, 16, 3, 12, 10]), w = rng.tensor([24, 16, 3, 3, 3], scale: 0.1)
        let y = try #require(OneDNN.conv3d(
            input: x, weight: w, bias: nil, stride: [1, 1, 1], padding: [.none, .symmetric(1), .symmetric(1)],
            outExtents: [1, 12, 10]))
        let impl = OneDNN.lastConvolutionImplementation
        #expect(!impl.hasPrefix("ref") && !impl.contains("gemm"), "\(impl)")
        let expected = Convolution.run(
            input: x, weight: w, bias: nil, stride: [1, 1, 1], padding: [.none, .symmetric(1), .symmetric(1)], oneDNN: false)
        expectClose(y, expected, absolute: 1e-5, relative: 1e-5, "one frame")
    }

    /// Bands of 3, 3 and 1 output frames (2, 2, 2 and 1 with a temporal stride of 2; a tiny
    /// budget) against one band of 7, with causal
    /// temporal padding, reflect rows, zero columns, a temporal stride and a batch of 2: each
    /// band slot reads the right frame, the padding is filled in every band.
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"), arguments: [1, 2])
    func bandsMatchOneBand(temporalStride: Int) throws {
        var rng = SeededRandom(seed: 61 + UInt64(temporalStride))
        let frames = 7 * temporalStride
        let x = rng.tensor([2, 8, frames, 6, 5]), w = rng.tensor([16, 8, 3, 3, 3], scale: 0.1), b = rng.tensor([16])
        let padding: [AxisPadding] = [.init(before: 2, after: 0, mode: .replicate), .symmetric(1, .reflect), .symmetric(1)]
        let out = [(frames + 2 - 3) / temporalStride + 1, 6, 5]
        let stride = [temporalStride, 1, 1]
        // An input frame (8 channels at 8 x 7 with padding) is 1792 bytes, an output frame 1920.
        let banded = try #require(OneDNN.conv3d(
            input: x, weight: w, bias: b, stride: stride, padding: padding, outExtents: out, bandBudget: 15 << 10))
        let whole = try #require(OneDNN.conv3d(
            input: x, weight: w, bias: b, stride: stride, padding: padding, outExtents: out, bandBudget: 1 << 30))
        expectClose(banded, whole, absolute: 1e-6, relative: 1e-6, "bands of 3 against one band")
        let naive = Naive.conv3d(
            x, weight: w, bias: b, stride: stride, padBefore: [2, 1, 1], padAfter: [0, 1, 1],
            modes: [.replicate, .reflect, .zeros])
        expectClose(banded, naive, absolute: 1e-5, relative: 1e-5, "banded against naive")
    }

    /// Output channels in passes of 16 and a last one of 8 (a tiny packed-weights budget),
    /// with bands too, against one pass: each pass reads its own weights and bias and writes its
    /// own channels.
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"))
    func channelPassesMatchOnePass() throws {
        var rng = SeededRandom(seed: 65)
        let x = rng.tensor([2, 8, 5, 6, 7]), w = rng.tensor([40, 8, 3, 3, 3], scale: 0.1), b = rng.tensor([40])
        let padding: [AxisPadding] = [.init(before: 2, after: 0, mode: .replicate), .symmetric(1), .symmetric(1, .reflect)]
        // 16 output channels of 8 x 27 taps pack into 13.5 KiB.
        let passes = try #require(OneDNN.conv3d(
            input: x, weight: w, bias: b, stride: [1, 1, 1], padding: padding, outExtents: [5, 6, 7],
            bandBudget: 12 << 10, packedBudget: 14 << 10))
        let whole = try #require(OneDNN.conv3d(
            input: x, weight: w, bias: b, stride: [1, 1, 1], padding: padding, outExtents: [5, 6, 7]))
        expectClose(passes, whole, absolute: 1e-6, relative: 1e-6, "passes of 16 against one pass")
        let naive = Naive.conv3d(
            x, weight: w, bias: b, stride: [1, 1, 1], padBefore: [2, 1, 1], padAfter: [0, 1, 1],
            modes: [.replicate, .zeros, .reflect])
        expectClose(passes, naive, absolute: 1e-5, relative: 1e-5, "passes against naive")
    }

    /// 3x3 taps as Winograd F(4x4, 3x3), one 2-D convolution per temporal tap summed into the
    /// first (forced on a small shape): the same result as the direct kernels and the naive
    /// convolution, with causal time padding, reflect rows, bands, channel passes and bias.
    /// oneDNN 2.6 has Winograd kernels on AVX-512 only; elsewhere the direct ones run.
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"), arguments: [3, 1])
    func winogradMatchesTheDirectKernels(temporalTaps: Int) throws {
        var rng = SeededRandom(seed: 66 + UInt64(temporalTaps))
        let x = rng.tensor([2, 16, 5, 9, 11]), w = rng.tensor([48, 16, temporalTaps, 3, 3], scale: 0.1)
        let b = rng.tensor([48])
        let time: AxisPadding = temporalTaps == 3 ? .init(before: 2, after: 0, mode: .replicate) : .none
        let padding: [AxisPadding] = [time, .symmetric(1, .reflect), .symmetric(1)]
        func run(winograd: Bool) throws -> Tensor {
            try #require(OneDNN.conv3d(
                input: x, weight: w, bias: b, stride: [1, 1, 1], padding: padding, outExtents: [5, 9, 11],
                bandBudget: 40 << 10, packedBudget: 16 * 16 * 9 * temporalTaps * 4, winograd: winograd,
                winogradMinimum: 1))
        }
        let winograd = try run(winograd: true)
        let impl = OneDNN.lastConvolutionImplementation
        let avx512 = reelflow_cpu_vector_level() >= 2 && ProcessInfo.processInfo.environment["DNNL_MAX_CPU_ISA"] == nil
        #expect(impl.contains("wino") || !avx512, "\(impl) on an AVX-512 CPU")
        let direct = try run(winograd: false)
        #expect(!OneDNN.lastConvolutionImplementation.contains("wino"))
        expectClose(winograd, direct, absolute: 1e-5, relative: 1e-5, "Winograd against direct")
        let naive = Naive.conv3d(
            x, weight: w, bias: b, stride: [1, 1, 1], padBefore: [time.before, 1, 1], padAfter: [0, 1, 1],
            modes: [.replicate, .reflect, .zeros])
        expectClose(winograd, naive, absolute: 1e-5, relative: 1e-5, "Winograd against naive")
    }

    /// Where oneDNN picks its F(4x4, 3x3) kernel (the layout Reelflow transforms its weights
    /// into), in two passes of output channels with their own transforms: the direct kernels'
    /// result. (The small shapes above take its F(2x2, 3x3) kernel.)
    @Test(.enabled(if: available && reelflow_cpu_vector_level() >= 2, "oneDNN's Winograd kernels need AVX-512"))
    func winogradF4x4InPassesMatchesTheDirectKernels() throws {
        var rng = SeededRandom(seed: 71)
        let x = rng.tensor([1, 32, 8, 40, 40]), w = rng.tensor([64, 32, 3, 3, 3], scale: 0.1), b = rng.tensor([64])
        let padding: [AxisPadding] = [.init(before: 2, after: 0, mode: .replicate), .symmetric(1, .reflect), .symmetric(1)]
        func run(winograd: Bool) throws -> Tensor {
            try #require(OneDNN.conv3d(
                input: x, weight: w, bias: b, stride: [1, 1, 1], padding: padding, outExtents: [8, 40, 40],
                packedBudget: 32 * 32 * 27 * 4, winograd: winograd, winogradMinimum: 1))
        }
        let winograd = try run(winograd: true)
        #expect(OneDNN.lastConvolutionImplementation.contains("wino_4x3"), "\(OneDNN.lastConvolutionImplementation)")
        let direct = try run(winograd: false)
        // Winograd's error scales with the output's largest values (relative error 2e-7 to
        // 3e-6 of them, docs/tensors.md), not with each element.
        let scale = direct.hostScalars().map(abs).max() ?? 1
        expectClose(winograd, direct, absolute: 3e-6 * scale, relative: 0, "F(4x4, 3x3) Winograd in passes against direct")
    }

    /// bf16 operands on oneDNN's bf16 kernels (AVX-512 and up) against the float32 path
    /// rounded once: both sum in float32, in different orders, so a value may move by a bf16
    /// step where its sum sits near a rounding boundary, and most are equal. Through
    /// `conv3d` (the CPU backend's dispatch) and with a bf16 bias, banded, with reflect padding.
    @Test(.enabled(if: OneDNN.enabled && OneDNN.hasBF16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)"))
    func bf16MatchesTheFloat32PathRoundedOnce() throws {
        var rng = SeededRandom(seed: 70)
        let x = rng.tensor([2, 32, 7, 10, 9]).to(dtype: .bf16), w = rng.tensor([48, 32, 3, 3, 3], scale: 0.05).to(dtype: .bf16)
        let b = rng.tensor([48]).to(dtype: .bf16)
        let y = x.causalConv3d(weight: w, bias: b, spatialPadding: .reflect)
        #expect(y.dtype == .bf16)
        let impl = OneDNN.lastConvolutionImplementation
        #expect(!impl.hasPrefix("ref") && !impl.contains("gemm"), "\(impl)")
        let expected = x.to(dtype: .f32).causalConv3d(
            weight: w.to(dtype: .f32), bias: b.to(dtype: .f32), spatialPadding: .reflect
        ).to(dtype: .bf16)
        let (a, e) = (y.hostScalars(), expected.hostScalars())
        let scale = e.map(abs).max()!
        // One bf16 step of the value (2^-7 of it), or 2^-12 of the output's scale where a sum of
        // 864 products cancels to near zero and the float32 orders differ by more than that.
        func off(_ a: [Float]) -> Int { a.indices.filter { abs(a[$0] - e[$0]) > max(abs(e[$0]) / 128, scale / 4096) }.count }
        let moved = zip(a, e).filter { $0 != $1 }.count
        #expect(off(a) == 0)
        #expect(moved * 10 <= y.count, "\(moved) of \(y.count) moved")
        // A changed weight is caught by the same comparison.
        var changed = w.hostScalars()
        changed[5] += 0.5
        let mutated = x.causalConv3d(
            weight: Tensor(shape: w.shape, scalars: changed).to(dtype: .bf16), bias: b, spatialPadding: .reflect)
        #expect(off(mutated.hostScalars()) > 0)
    }

    /// bf16 weights packed by table (`cdnnl_weight_packing.c`) are byte for byte oneDNN's own
    /// reorder of them: channel counts that fill the kernels' blocks, that leave padding (24,
    /// 40), odd ones (no channel pairs), and 1 x 3 x 3 and 3 x 1 x 1 taps.
    @Test(.enabled(if: OneDNN.enabled && OneDNN.hasBF16Kernels, "oneDNN has no bf16 kernels on this CPU (AVX-512 and up)"),
          arguments: [[32, 64, 3, 3, 3], [24, 40, 3, 3, 3], [17, 33, 1, 3, 3], [64, 16, 3, 1, 1], [256, 256, 3, 3, 3]])
    func bf16TablePackingIsOneDNNsReorder(weightShape: [Int]) throws {
        var rng = SeededRandom(seed: UInt64(weightShape.reduce(0, +)))
        let w = rng.tensor(weightShape).to(dtype: .bf16)
        let both = try #require(OneDNN.packedBothWays(w, source: [weightShape[2] + 1, 6, 7]))
        #expect(both.packed.count == both.reordered.count)
        let differing = zip(both.packed, both.reordered).filter { $0 != $1 }.count
        #expect(differing == 0, "\(weightShape) for \(both.implementation): \(differing) of \(both.packed.count) bytes differ")
    }

    /// Float32 weights transformed into oneDNN's Winograd layout here (`cdnnl_winograd_weights.c`)
    /// are byte for byte oneDNN's own reorder of them, tap by tap: one and three temporal taps,
    /// channel counts of one 16-block and many (which oneDNN groups in two-level blocks), and the
    /// upsampler's 256 x 256. oneDNN 2.6 has Winograd kernels on AVX-512 only.
    @Test(.enabled(if: OneDNN.enabled && reelflow_cpu_vector_level() >= 2, "oneDNN's Winograd kernels need AVX-512"),
          arguments: [[32, 32, 3, 3, 3], [48, 32, 1, 3, 3], [64, 128, 3, 3, 3], [128, 64, 3, 3, 3], [256, 256, 3, 3, 3]])
    func winogradTransformIsOneDNNsReorder(weightShape: [Int]) throws {
        var rng = SeededRandom(seed: 70 + UInt64(weightShape.reduce(0, +)))
        let w = rng.tensor(weightShape, scale: 0.2)
        let both = try #require(OneDNN.packedBothWays(w, source: [weightShape[2] + 7, 64, 64], winograd: true))
        #expect(both.implementation.contains("wino"), "\(both.implementation)")
        #expect(both.packed.count == both.reordered.count && both.packed.count >= weightShape.reduce(1, *) * 4 * 4, "\(both.packed.count) bytes")
        let differing = zip(both.packed, both.reordered).filter { $0 != $1 }.count
        #expect(differing == 0, "\(weightShape) for \(both.implementation): \(differing) of \(both.packed.count) bytes differ")
    }

    /// Work buffers are reused (the smallest large enough), and no more than `keptCount` stay.
    @Test func workBuffersAreReusedAndBounded() {
        let buffers = OneDNNWorkBuffers()
        let a = buffers.take(10_000), b = buffers.take(100_000)
        #expect(a.bytes >= 10_000 && b.bytes >= 100_000)
        buffers.give(a)
        buffers.give(b)
        let again = buffers.take(5_000)
        #expect(again.pointer == a.pointer, "the smallest kept buffer that fits")
        again.pointer.storeBytes(of: 7, toByteOffset: again.bytes - 1, as: UInt8.self)
        buffers.give(again)
        let extra = (0..<OneDNNWorkBuffers.keptCount + 2).map { _ in buffers.take(1 << 20) }
        extra.forEach(buffers.give)
        #expect(buffers.heldBytes <= OneDNNWorkBuffers.keptCount * (1 << 20) + 100_000 + 10_000 + 8192)
        #expect(buffers.heldBytes >= OneDNNWorkBuffers.keptCount * (1 << 20), "the largest are kept")
    }

    /// Each spatial padding mode gives its own result: the band buffer's borders are written
    /// per mode, not left as they were.
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"))
    func aChangedPaddingModeIsCaught() throws {
        var rng = SeededRandom(seed: 63)
        let x = rng.tensor([1, 4, 3, 5, 5]), w = rng.tensor([4, 4, 3, 3, 3])
        func run(_ mode: PaddingMode) throws -> Tensor {
            try #require(OneDNN.conv3d(
                input: x, weight: w, bias: nil, stride: [1, 1, 1], padding: [.none, .symmetric(1, mode), .symmetric(1, mode)],
                outExtents: [1, 5, 5]))
        }
        let (zeros, reflect, replicate) = (try run(.zeros), try run(.reflect), try run(.replicate))
        #expect(zeros != reflect && reflect != replicate && zeros != replicate)
    }

    /// The same result at 1 and 3 threads, and from several threads at once (each call has its
    /// own work buffers; plans are shared).
    @Test(.enabled(if: available, "oneDNN is not installed (scripts/setup installs libdnnl2)"))
    func resultsDoNotDependOnThreads() throws {
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        var rng = SeededRandom(seed: 64)
        let x = rng.tensor([1, 32, 5, 20, 18]), w = rng.tensor([32, 32, 3, 3, 3], scale: 0.05), b = rng.tensor([32])
        @Sendable func run() -> Tensor { x.causalConv3d(weight: w, bias: b, spatialPadding: .reflect) }
        TensorThreads.count = 1
        let single = run()
        TensorThreads.count = 3
        let multi = run()
        #expect(single == multi, "1 and 3 threads")
        let results = Mutex<[[Float]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let y = run().hostScalars()
            results.withLock { $0.append(y) }
        }
        #expect(results.withLock { $0.count == 4 && $0.allSatisfy { $0 == single.hostScalars() } }, "concurrent calls")
    }
}
