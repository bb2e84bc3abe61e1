internal import CKernels

/// Conversion of stored little-endian scalars of any `DType` to float32. Each dtype has its
/// own tight loop (unaligned loads, no per-element switch) so the compiler can vectorise it;
/// ranges above `parallelThreshold` elements are split over the `TensorThreads` pool.
enum StoredScalarConversion {
    static let parallelThreshold = 1 << 20
    /// Conversions whose whole float32 destination is at least this large write BF16 results
    /// with streaming stores (`CKernels`): half the 32 MiB L3 cache of this machine, so
    /// such a destination would not stay in cache anyway. Streaming stores skip reading each
    /// destination cache line before writing it, which cuts the memory traffic of a bf16 to
    /// float32 conversion from five bytes per stored byte to three; smaller destinations
    /// (row blocks consumed while in cache) keep ordinary stores.
    static let streamingDestinationBytes = 16 << 20

    /// Converts `count` elements; `streaming` asks for streaming stores (BF16 only, where the
    /// CPU has them; see `streamingDestinationBytes`).
    static func convert(_ dtype: DType, from source: UnsafeRawPointer, count: Int, to destination: UnsafeMutablePointer<Float>, streaming: Bool = false) {
        let stream = streaming && dtype == .bf16
        // Pointers are passed as integers: each chunk writes a disjoint range.
        let src = Int(bitPattern: source), dst = Int(bitPattern: destination)
        parallelFor(count, grain: parallelThreshold / 2) { range in
            let from = UnsafeRawPointer(bitPattern: src)! + range.lowerBound * dtype.byteSize
            let to = UnsafeMutablePointer<Float>(bitPattern: dst)! + range.lowerBound
            if stream {
                reelflow_bf16_to_f32_streaming(from, to, range.count)
            } else {
                convertSerially(dtype, from: from, count: range.count, to: to)
            }
        }
    }

    /// Converts `count` elements on the calling thread; `streaming` as in `convert`.
    static func convertChunk(_ dtype: DType, from source: UnsafeRawPointer, count: Int, to destination: UnsafeMutablePointer<Float>, streaming: Bool) {
        if streaming && dtype == .bf16 {
            reelflow_bf16_to_f32_streaming(source, destination, count)
        } else {
            convertSerially(dtype, from: source, count: count, to: destination)
        }
    }

    static func convertSerially(_ dtype: DType, from s: UnsafeRawPointer, count n: Int, to d: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            (UnsafeMutableRawPointer(d)).copyMemory(from: s, byteCount: n * 4)
        case .bf16:
            // x86-64 is little-endian and needs no alignment: the C kernel reads the words as
            // stored (16 at a time with AVX-512).
            reelflow_bf16_to_f32(s.assumingMemoryBound(to: UInt16.self), d, n)
        case .f16:
            for i in 0..<n {
                d[i] = HalfFloat.float(fromBits: UInt16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .f64:
            for i in 0..<n {
                d[i] = Float(Double(bitPattern: UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .f8e4m3:
            let table = Float8.e4m3Table
            table.withUnsafeBufferPointer { t in
                for i in 0..<n { d[i] = t[Int(s.load(fromByteOffset: i, as: UInt8.self))] }
            }
        case .f8e5m2:
            for i in 0..<n { d[i] = Float8.floatFromE5M2(s.load(fromByteOffset: i, as: UInt8.self)) }
        case .i64: for i in 0..<n { d[i] = Float(Int64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        case .i32: for i in 0..<n { d[i] = Float(Int32(littleEndian: s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .i16: for i in 0..<n { d[i] = Float(Int16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .i8: for i in 0..<n { d[i] = Float(s.load(fromByteOffset: i, as: Int8.self)) }
        case .u64: for i in 0..<n { d[i] = Float(UInt64(littleEndian: s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
        case .u32: for i in 0..<n { d[i] = Float(UInt32(littleEndian: s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .u16: for i in 0..<n { d[i] = Float(UInt16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .u8: for i in 0..<n { d[i] = Float(s.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool: for i in 0..<n { d[i] = s.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        }
    }
}
