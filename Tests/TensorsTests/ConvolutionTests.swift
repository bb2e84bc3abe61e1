import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// Both convolution paths (oneDNN's direct kernels where oneDNN is installed, im2col + GEMM
/// otherwise) against the naive direct convolution.
@Suite struct ConvolutionTests {
    static func naivePad(_ mode: PaddingMode) -> Naive.Pad {
        switch mode {
        case .zeros: .zeros
        case .reflect: .reflect
        case .replicate: .replicate
        }
    }

    @Test(arguments: [true, false]) func conv3dMatchesNaiveOnRandomShapes(oneDNN: Bool) {
        var rng = SeededRandom(seed: 10)
        for trial in 0..<40 {
            let kernel = (0..<3).map { _ in [1, 2, 3].randomElement(using: &rng)! }
            let stride = (0..<3).map { _ in [1, 1, 2].randomElement(using: &rng)! }
            let extents = (0..<3).map { kernel[$0] + [0, 1, 2, 4].randomElement(using: &rng)! }
            let padding = (0..<3).map { axis -> AxisPadding in
                let mode = PaddingMode.allCases.randomElement(using: &rng)!
                let limit = mode == .reflect ? extents[axis] - 1 : 2
                return AxisPadding(
                    before: Int.random(in: 0...min(2, limit), using: &rng),
                    after: Int.random(in: 0...min(2, limit), using: &rng), mode: mode)
            }
            let (batch, cin, cout) = ([1, 2].randomElement(using: &rng)!, Int.random(in: 1...4, using: &rng), Int.random(in: 1...5, using: &rng))
            let x = rng.tensor([batch, cin] + extents)
            let w = rng.tensor([cout, cin] + kernel)
            let b: Tensor? = Bool.random(using: &rng) ? rng.tensor([cout]) : nil
            let y = Convolution.run(input: x, weight: w, bias: b, stride: stride, padding: padding, oneDNN: oneDNN)
            if oneDNN { #expect(y == x.conv3d(weight: w, bias: b, stride: stride, padding: padding)) }
            let naive = Naive.conv3d(
                x, weight: w, bias: b, stride: stride, padBefore: padding.map(\.before), padAfter: padding.map(\.after),
                modes: padding.map { Self.naivePad($0.mode) })
            expectClose(y, naive, absolute: 1e-5, relative: 1e-5, "trial \(trial): k \(kernel) s \(stride) \(padding)")
        }
    }

    @Test func bandedColumnsMatchOneBand() {
        // A tiny column budget forces one band per output row.
        var rng = SeededRandom(seed: 11)
        let x = rng.tensor([1, 3, 2, 9, 7]), w = rng.tensor([4, 3, 3, 3, 3]), b = rng.tensor([4])
        let padding: [AxisPadding] = [.init(before: 2, after: 0, mode: .replicate), .symmetric(1), .symmetric(1, .reflect)]
        let banded = Convolution.run(
            input: x, weight: w, bias: b, stride: [1, 1, 1], padding: padding, columnBudgetBytes: 1, oneDNN: false)
        let whole = x.conv3d(weight: w, bias: b, padding: padding)
        // Band widths change OpenBLAS's edge kernels, so allow rounding differences.
        expectClose(banded, whole, absolute: 1e-5, relative: 1e-5, "banded vs whole")
        let naive = Naive.conv3d(
            x, weight: w, bias: b, stride: [1, 1, 1], padBefore: [2, 1, 1], padAfter: [0, 1, 1],
            modes: [.replicate, .zeros, .reflect])
        expectClose(banded, naive, absolute: 1e-5, relative: 1e-5, "banded")
    }

    @Test func edgeSizes() {
        var rng = SeededRandom(seed: 12)
        // Zero batch, zero output channels, single pixel.
        #expect(rng.tensor([0, 2, 3, 3, 3]).conv3d(weight: rng.tensor([4, 2, 1, 1, 1])).shape == [0, 4, 3, 3, 3])
        #expect(rng.tensor([1, 2, 1, 1, 1]).conv3d(weight: rng.tensor([0, 2, 1, 1, 1])).shape == [1, 0, 1, 1, 1])
        let x = rng.tensor([1, 1, 1, 1, 1]), w = rng.tensor([1, 1, 3, 3, 3])
        let y = x.causalConv3d(weight: w)
        let naive = Naive.conv3d(
            x, weight: w, bias: nil, stride: [1, 1, 1], padBefore: [2, 1, 1], padAfter: [0, 1, 1],
            modes: [.replicate, .zeros, .zeros])
        expectClose(y, naive, absolute: 1e-6, relative: 1e-6, "1x1x1 input")
    }

    @Test func causalPaddingRepeatsTheFirstFrame() {
        // Frames 0..3 with constant planes 1, 2, 3, 4 and a kernel that picks the oldest tap:
        // causal output frame t reads frame max(t - 2, 0).
        let x = Tensor(shape: [1, 1, 4, 1, 1], scalars: [1, 2, 3, 4])
        var wv = [Float](repeating: 0, count: 27)
        wv[0 * 9 + 4] = 1  // dt = 0, centre pixel
        let w = Tensor(shape: [1, 1, 3, 3, 3], scalars: wv)
        #expect(x.causalConv3d(weight: w).hostScalars() == [1, 1, 1, 2])
        #expect(x.causalConv3d(weight: w, causal: false).hostScalars() == [1, 1, 2, 3])
    }

    @Test func conv2dMatchesNaive() {
        var rng = SeededRandom(seed: 13)
        let x = rng.tensor([2, 3, 6, 5]), w = rng.tensor([4, 3, 3, 2]), b = rng.tensor([4])
        let y = x.conv2d(weight: w, bias: b, stride: [2, 1], padding: [.symmetric(1, .reflect), .init(before: 0, after: 1)])
        let naive = Naive.conv3d(
            x.unsqueezed(2), weight: w.unsqueezed(2), bias: b, stride: [1, 2, 1], padBefore: [0, 1, 0],
            padAfter: [0, 1, 1], modes: [.zeros, .reflect, .zeros]
        ).squeezed(2)
        expectClose(y, naive, absolute: 1e-5, relative: 1e-5, "conv2d")
    }
}
