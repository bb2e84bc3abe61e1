internal import CKernels

/// dtype conversion of CPU tensors. Widening goes through the safetensors loader's
/// conversion loops (`StoredScalarConversion`: exact, threaded, streaming stores for large
/// bf16 sources); narrowing rounds to nearest even on the `TensorThreads` pool.
extension Tensor {
    func cpuConverted(to target: DType) -> Tensor {
        require(target.isTensorElement, "a tensor cannot hold \(target.rawValue) elements")
        if target == dtype { return self }
        let n = count
        if target == .f32 {
            return withUnsafeHostBytes { raw in
                Tensor(shape: shape) { out in
                    guard n > 0 else { return }
                    StoredScalarConversion.convert(
                        dtype, from: raw.baseAddress!, count: n, to: out.baseAddress!,
                        streaming: n * 4 >= StoredScalarConversion.streamingDestinationBytes)
                }
            }
        }
        let source = dtype == .f32 ? self : cpuConverted(to: .f32)
        return source.withUnsafeBufferPointer { src in
            switch target {
            case .bf16:
                return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: Self.narrowToBF16(src)))
            case .f16:
                return Tensor(shape: shape, dtype: .f16, storage: HostStorage(words: Self.narrow(src) { HalfFloat.bits(from: $0) }))
            case .f8e4m3:
                return Tensor(shape: shape, dtype: .f8e4m3, storage: HostStorage(bytes: Self.narrow(src) { Float8.e4m3Bits(from: $0) }))
            case .f8e5m2:
                return Tensor(shape: shape, dtype: .f8e5m2, storage: HostStorage(bytes: Self.narrow(src) { Float8.e5m2Bits(from: $0) }))
            default:
                fatalError("a tensor cannot hold \(target.rawValue) elements")
            }
        }
    }

    /// float32 to bf16 words through the C kernel (AVX2 where the CPU has it), in parallel chunks.
    static func narrowToBF16(_ src: UnsafeBufferPointer<Float>) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: src.count) { out, initialized in
            if let s = src.baseAddress, let d = out.baseAddress {
                TensorThreads.parallelFor(src.count, grain: 1 << 15) { r in
                    reelflow_f32_to_bf16(s + r.lowerBound, d + r.lowerBound, r.count)
                }
            }
            initialized = src.count
        }
    }

    /// `encode` over every float, in parallel chunks.
    @inline(__always)
    private static func narrow<Word>(_ src: UnsafeBufferPointer<Float>, _ encode: (Float) -> Word) -> [Word] {
        [Word](unsafeUninitializedCapacity: src.count) { out, initialized in
            if let s = src.baseAddress, let d = out.baseAddress {
                TensorThreads.parallelFor(src.count, grain: 1 << 15) { range in
                    for i in range { (d + i).initialize(to: encode(s[i])) }
                }
            }
            initialized = src.count
        }
    }
}
