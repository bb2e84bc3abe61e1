/// Where a tensor's storage lives and where ops on it run.
///
/// `.cpu` is host memory with the `CPUBackend` (OpenBLAS and the CKernels loops). `.cuda(n)`
/// names GPU `n`; this build has no CUDA backend registered, and asking for one is a clear
/// error (`BackendRegistry`). Ops take operands on one device; moving data between devices is
/// always explicit (`Tensor.to(device:)`).
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let n): "cuda:\(n)"
        }
    }

    /// Parses `cpu`, `cuda` (GPU 0) or `cuda:N`; nil for anything else.
    public init?(parsing text: String) {
        switch text {
        case "cpu": self = .cpu
        case "cuda": self = .cuda(0)
        default:
            guard text.hasPrefix("cuda:"), let n = Int(text.dropFirst(5)), n >= 0 else { return nil }
            self = .cuda(n)
        }
    }
}
