import CDNNL
import Foundation
import Synchronization

/// Float32 and bf16 3-D convolutions through oneDNN's direct kernels (the ones PyTorch's CPU
/// convolutions run on; bf16 where oneDNN has bf16 kernels, AVX-512 and up): about twice the throughput of im2col + OpenBLAS on the LTX VAE's
/// 3x3x3 layers, on AVX2 and AVX-512 alike (docs/benchmarks.md, issue 11).
///
/// A convolution runs in bands of output frames of one batch item, each band's input and output
/// in channels-last buffers of at most `bandBudgetBytes` together (the caller's tensors stay in
/// their plain `[B, C, F, H, W]` layout): the band's input frames are copied in with the
/// temporal padding resolved to source frames here, the spatial padding filled in C, the
/// convolution run on all threads, its result copied into the output's frames. The bands depend
/// on the shape only, and oneDNN's forward kernels split no sum between threads, so results do
/// not depend on the thread count.
extension OneDNN {
    /// Input plus output buffer of one band, in bytes (at least one output frame per band). 8
    /// and 32 MiB ran the VAE figures at the same speed.
    static let bandBudgetBytes = 8 << 20

    /// Packed weights of one pass at most (output channels are split into passes beyond it):
    /// the packed copy adds to the peak, and the VAE's widest layer packs 28 MiB at a quarter of
    /// LTX-2's widths (113 MiB at full width).
    static let packedWeightsBudgetBytes = 8 << 20

    /// Whether 3x3 convolutions may run as Winograd F(4x4, 3x3) (`REELFLOW_WINOGRAD=0` turns it
    /// off; tests switch it): about 2.3x the direct kernels' speed on AVX-512 with their accuracy
    /// (docs/tensors.md).
    package static var winogradEnabled: Bool {
        get { winogradSwitch.withLock { $0 } }
        set { winogradSwitch.withLock { $0 = newValue } }
    }
    private static let winogradSwitch = Mutex(ProcessInfo.processInfo.environment["REELFLOW_WINOGRAD"] != "0")

    /// Output positions (batch x frames x rows x columns) from which a call takes Winograd.
    /// With the weights transformed here (`cdnnl_winograd_weights.c`, about 6 ns per channel
    /// pair and tap against oneDNN's 110-210 ns) the transform no longer decides; on AMD Zen 4,
    /// 1024 ran the latent upsample (256 channels at 5 x 12 x 12) at 0.64x the time of 4096 and
    /// 16384, and encode_9x256 and decode_9x256 at 0.70x the time of 16384.
    static let winogradMinimumPositions = 1024

    /// A planned band shape, kept for the process.
    final class ConvolutionBand: @unchecked Sendable {
        let pointer: OpaquePointer
        let framesOut: Int
        init(_ pointer: OpaquePointer, framesOut: Int) {
            self.pointer = pointer
            self.framesOut = framesOut
        }
        deinit { rf_dnnl_conv_free(pointer) }
        var implementation: String { String(cString: rf_dnnl_conv_impl(pointer)) }
        var weightsBytes: Int { rf_dnnl_conv_weights_bytes(pointer) }
        var workspaceBytes: Int { rf_dnnl_conv_workspace_bytes(pointer) }
    }

    private struct BandKey: Hashable {
        var cin: Int, cout: Int, kernel: [Int], stride: [Int], source: [Int], pads: [Int], modes: [Int32]
        var framesOut: Int, dstFrames: Int, bias: Bool, winograd: Bool, bf16: Bool, threads: Int
    }

    private static let bands = Mutex<[BandKey: ConvolutionBand?]>([:])

    /// The plans of one chunk width of output channels.
    private struct Pass {
        let full: ConvolutionBand, last: ConvolutionBand
        /// Whether `last` reads `full`'s packed weights.
        let shared: Bool
    }

    /// How a call runs: its bands and the plans per chunk width.
    private struct CallLayout {
        let count: Int, framesPerBand: Int
        let passes: [Int: Pass]
    }

    /// The implementation oneDNN chose for the calling thread's last convolution (e.g.
    /// `brgconv:avx512_core`; or its last planned band, where oneDNN's was refused), for
    /// reports and tests.
    package static var lastConvolutionImplementation: String { lastConvImpl.value }
    private static let lastConvImpl = PerThreadRecord()

    private static func mode(_ mode: PaddingMode) -> Int32 {
        switch mode {
        case .zeros: Int32(RF_DNNL_PAD_ZEROS)
        case .reflect: Int32(RF_DNNL_PAD_REFLECT)
        case .replicate: Int32(RF_DNNL_PAD_REPLICATE)
        }
    }

    /// A weight `[Cout, Cin, kt, kh, kw]` packed for a one-band convolution of `source` frames
    /// (stride 1, spatial padding 1) twice: by `rf_dnnl_conv_pack` and by oneDNN's reorder, the
    /// bytes the convolution reads; nil where oneDNN plans no such convolution (`winograd`: no
    /// Winograd kernel on this CPU). Tests compare the two.
    package static func packedBothWays(_ weight: Tensor, source: [Int], winograd: Bool = false)
        -> (packed: [UInt8], reordered: [UInt8], implementation: String)?
    {
        let key = BandKey(
            cin: weight.shape[1], cout: weight.shape[0], kernel: Array(weight.shape[2...4]), stride: [1, 1, 1], source: source,
            pads: [1, 1, 1, 1], modes: [Int32(RF_DNNL_PAD_ZEROS), Int32(RF_DNNL_PAD_ZEROS)],
            framesOut: source[0] - weight.shape[2] + 1, dstFrames: source[0] - weight.shape[2] + 1, bias: false,
            winograd: winograd, bf16: weight.dtype == .bf16, threads: 2)
        guard enabled, let plan = band(key) else { return nil }
        let bytes = plan.weightsBytes, read = rf_dnnl_conv_packed_bytes(plan.pointer)
        func pack(_ body: (OpaquePointer, UnsafeRawPointer, UnsafeMutableRawPointer) -> Int32) -> [UInt8] {
            // Filled with 0xA5 first: padding the packing leaves unwritten shows as a difference.
            var out = [UInt8](repeating: 0xA5, count: bytes)
            weight.withUnsafeHostBytes { w in
                out.withUnsafeMutableBytes { require(body(plan.pointer, w.baseAddress!, $0.baseAddress!) == 0, "packing failed") }
            }
            return Array(out[..<read])
        }
        return (pack { rf_dnnl_conv_pack($0, $1, $2, 2) }, pack { rf_dnnl_conv_pack_by_reorder($0, $1, $2, 2) }, plan.implementation)
    }

    private static func band(_ key: BandKey) -> ConvolutionBand? {
        bands.withLock { bands in
            if let known = bands[key] { return known }
            var g = rf_dnnl_conv_geometry()
            g.cin = Int64(key.cin)
            g.cout = Int64(key.cout)
            g.kernel = (Int64(key.kernel[0]), Int64(key.kernel[1]), Int64(key.kernel[2]))
            g.stride = (Int64(key.stride[0]), Int64(key.stride[1]), Int64(key.stride[2]))
            (g.src_frames, g.src_rows, g.src_cols) = (Int64(key.source[0]), Int64(key.source[1]), Int64(key.source[2]))
            (g.pad_top, g.pad_bottom) = (Int64(key.pads[0]), Int64(key.pads[1]))
            (g.pad_left, g.pad_right) = (Int64(key.pads[2]), Int64(key.pads[3]))
            (g.row_mode, g.col_mode) = (key.modes[0], key.modes[1])
            g.frames_out = Int64(key.framesOut)
            g.dst_frames = Int64(key.dstFrames)
            g.has_bias = key.bias ? 1 : 0
            g.winograd = key.winograd ? 1 : 0
            g.type = key.bf16 ? Int32(RF_DNNL_BF16) : Int32(RF_DNNL_F32)
            g.threads = Int32(key.threads)
            var made = rf_dnnl_conv_plan(&g).map { ConvolutionBand($0, framesOut: key.framesOut) }
            if let plan = made {
                lastConvImpl.set(plan.implementation)
                // oneDNN's reference kernels and its im2col + GEMM fallback are slower than the
                // caller's own im2col path: that runs instead.
                let impl = plan.implementation
                if impl.hasPrefix("ref") || impl.contains("gemm") { made = nil }
            } else if key.winograd {
                // No Winograd kernel on this CPU (oneDNN 2.6 has them for AVX-512 only): the
                // caller plans the direct kernels.
                made = nil
            }
            if bands.count >= 1024 { bands.removeAll() }
            bands[key] = made
            return made
        }
    }

    /// `conv3d` of `input [B, Cin, F, H, W]` with `weight [Cout, Cin, kt, kh, kw]`, both float32 or
    /// both bf16, and a float32 `bias [Cout]` into `[B, Cout] + outExtents` in the input's dtype
    /// (bf16: float32 sums and bias, one rounding), or nil when oneDNN is off or has no
    /// fast kernel for the shape (the caller's own path runs then). The extents and paddings
    /// were checked by the caller.
    static func conv3d(
        input: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding], outExtents: [Int],
        bandBudget: Int = bandBudgetBytes, packedBudget: Int = packedWeightsBudgetBytes, winograd: Bool = winogradEnabled,
        winogradMinimum: Int = winogradMinimumPositions
    ) -> Tensor? {
        let bf16 = input.dtype == .bf16
        guard enabled, input.dtype == .f32 || bf16, weight.dtype == input.dtype, bias?.dtype ?? .f32 == .f32,
            !bf16 || hasBF16Kernels
        else { return nil }
        let element = bf16 ? 2 : 4
        let (batch, cin, cout) = (input.shape[0], input.shape[1], weight.shape[0])
        let source = Array(input.shape[2...4]), kernel = Array(weight.shape[2...4])
        let (fo, ho, wo) = (outExtents[0], outExtents[1], outExtents[2])
        guard batch > 0, cin > 0, cout > 0, fo > 0, ho > 0, wo > 0, source.allSatisfy({ $0 > 0 }) else { return nil }
        let time = padding[0]
        // Output channels in chunks whose packed weights stay within the budget (multiples of
        // 16, the kernels' channel block).
        let taps = kernel.reduce(1, *), perChannel = cin * taps * element
        let chunkChannels = perChannel * cout <= packedBudget ? cout : min(cout, max(16, packedBudget / perChannel / 16 * 16))
        let chunks = Swift.stride(from: 0, to: cout, by: chunkChannels).map { $0..<min(cout, $0 + chunkChannels) }
        // Winograd pays where a call has enough output positions (`winogradMinimumPositions`).
        let positions = batch * fo * ho * wo
        let winogradShape =
            winograd && !bf16 && kernel[1] == 3 && kernel[2] == 3 && stride == [1, 1, 1] && cin % 16 == 0
            && chunks.allSatisfy { $0.count % 16 == 0 } && positions >= winogradMinimum
        let rowsIn = source[1] + padding[1].before + padding[1].after
        let colsIn = source[2] + padding[2].before + padding[2].after
        let inFrame = rowsIn * colsIn * cin * element, outFrame = ho * wo * chunkChannels * element
        /// The bands of one mode and the plans per chunk width (full bands, and the last band:
        /// the same plan when its frames are; it reads the first's packed weights where their
        /// layouts agree), or nil where oneDNN refuses one.
        // Plans are made for the thread count they run on (oneDNN splits the work when it plans).
        let threads = TensorThreads.threadsForOneCall
        func layout(winograd: Bool) -> CallLayout? {
            // The largest band within the budget, then bands of equal size (the last one
            // shorter). (Winograd's scratchpad also holds the band transformed, 2.25x, and a
            // blocked copy; a quarter of the budget for its bands lost its speed-up: 2.4-2.6 s
            // against 1.7-2.0 s for decode_33x384.)
            let fitting = max(1, (bandBudget - (kernel[0] - stride[0]) * inFrame) / (stride[0] * inFrame + outFrame))
            let count = (fo + fitting - 1) / fitting
            let framesPerBand = (fo + count - 1) / count
            let lastFrames = fo - (count - 1) * framesPerBand
            var passes: [Int: Pass] = [:]
            for width in Set(chunks.map(\.count)) {
                let key = { (frames: Int) in
                    BandKey(
                        cin: cin, cout: width, kernel: kernel, stride: stride, source: source,
                        pads: [padding[1].before, padding[1].after, padding[2].before, padding[2].after],
                        modes: [mode(padding[1].mode), mode(padding[2].mode)], framesOut: frames, dstFrames: fo,
                        bias: bias != nil, winograd: winograd, bf16: bf16, threads: threads)
                }
                guard let full = band(key(framesPerBand)), let last = lastFrames == framesPerBand ? full : band(key(lastFrames))
                else { return nil }
                passes[width] = Pass(
                    full: full, last: last, shared: full === last || rf_dnnl_conv_same_weights(full.pointer, last.pointer) != 0)
            }
            return CallLayout(count: count, framesPerBand: framesPerBand, passes: passes)
        }
        guard let chosen = (winogradShape ? layout(winograd: true) : nil) ?? layout(winograd: false) else { return nil }
        if let pass = chosen.passes.values.first { lastConvImpl.set(pass.full.implementation) }
        let (count, framesPerBand, passes) = (chosen.count, chosen.framesPerBand, chosen.passes)
        let plans = passes.values.flatMap { [$0.full, $0.last] }
        let planeIn = source[0] * source[1] * source[2], planeOut = fo * ho * wo
        // Writes the whole output at `out` (float32 or bf16 words, plain layout).
        func convolveBands(into out: UnsafeMutableRawPointer) {
            let buffers = OneDNNWorkBuffers.shared
            let work = buffers.take(plans.map(\.workspaceBytes).max()!)
            let packedBytes = plans.map(\.weightsBytes).max()!
            let packing = passes.values.allSatisfy(\.shared)
                ? [buffers.take(packedBytes)] : [buffers.take(packedBytes), buffers.take(packedBytes)]
            defer { ([work] + packing).forEach(buffers.give) }
            var frameSource = [Int64](repeating: -1, count: (framesPerBand - 1) * stride[0] + kernel[0])
            weight.withUnsafeHostBytes { w in
                input.withUnsafeHostBytes { x in
                    withBiasPointer(bias) { b in
                        for channels in chunks {
                            let pass = passes[channels.count]!
                            let weights = w.baseAddress! + channels.lowerBound * cin * taps * element
                            for (plan, buffer) in zip(pass.shared ? [pass.full] : [pass.full, pass.last], packing) {
                                let status = rf_dnnl_conv_pack(plan.pointer, weights, buffer.pointer, Int32(threads))
                                require(status == 0, "\(OneDNN.summary): \(String(cString: rf_dnnl_message()))")
                            }
                            for item in 0..<batch {
                                for index in 0..<count {
                                    let isLast = index == count - 1
                                    let plan = isLast ? pass.last : pass.full
                                    let packed = isLast && !pass.shared ? packing[1] : packing[0]
                                    let first = index * framesPerBand
                                    let slots = (plan.framesOut - 1) * stride[0] + kernel[0]
                                    for slot in 0..<slots {
                                        let p = first * stride[0] + slot - time.before
                                        frameSource[slot] = Int64(IndexMap.resolve(p, extent: source[0], mode: time.mode))
                                    }
                                    let status = rf_dnnl_conv_run(
                                        plan.pointer, x.baseAddress! + item * cin * planeIn * element, frameSource,
                                        packed.pointer, b.map { $0 + channels.lowerBound },
                                        out + (item * cout + channels.lowerBound) * planeOut * element, Int64(first),
                                        work.pointer, Int32(threads))
                                    require(status == 0, "\(OneDNN.summary): \(String(cString: rf_dnnl_message()))")
                                }
                            }
                        }
                    }
                }
            }
        }
        let shape = [batch, cout, fo, ho, wo], elements = batch * cout * planeOut
        // oneDNN's OpenMP team takes the cores: the pool's idle workers sleep meanwhile.
        func convolve(into out: UnsafeMutableRawPointer) {
            if threads > 1 { WorkerPool.withWorkersAsleep { convolveBands(into: out) } } else { convolveBands(into: out) }
        }
        guard bf16 else { return Tensor(shape: shape) { convolve(into: UnsafeMutableRawPointer($0.baseAddress!)) } }
        let words = [UInt16](unsafeUninitializedCapacity: elements) { words, initialized in
            convolve(into: UnsafeMutableRawPointer(words.baseAddress!))
            initialized = elements
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }

    private static func withBiasPointer<R>(_ bias: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
