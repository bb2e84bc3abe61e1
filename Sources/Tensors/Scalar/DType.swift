/// Element types, spelled as in the safetensors header. A stored tensor may have any of them;
/// a compute `Tensor` holds one of the floating types (`isTensorElement`).
public enum DType: String, Sendable, CaseIterable, Codable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .f8e4m3, .f8e5m2, .i8, .u8, .bool: 1
        }
    }

    /// Types a `Tensor` can hold: float32, bfloat16 and float16 (compute types), and the two
    /// fp8 formats (storage for weights; every op converts them on use).
    public var isTensorElement: Bool {
        switch self {
        case .f32, .bf16, .f16, .f8e4m3, .f8e5m2: true
        default: false
        }
    }

    /// Types ops compute in and return: float32, bfloat16, float16.
    public var isComputeType: Bool { self == .f32 || self == .bf16 || self == .f16 }

    /// The dtype of an op's result over operands of dtypes `a` and `b`, as PyTorch promotes
    /// floating types: equal types stay; any other pair of compute types gives float32. fp8 is
    /// storage only and takes the other operand's type (float32 when both are fp8).
    public static func promoted(_ a: DType, _ b: DType) -> DType {
        let a = a.isComputeType ? a : nil, b = b.isComputeType ? b : nil
        switch (a, b) {
        case (nil, nil): return .f32
        case (let x?, nil), (nil, let x?): return x
        case (let x?, let y?): return x == y ? x : .f32
        }
    }
}
