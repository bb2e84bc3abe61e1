import Tensors

/// The backends the shared op suite runs on. A new backend joins by adding a case here; its
/// tests then run every fixture comparison and cross-check of the suite.
public enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case cpu
    case reference

    public var backend: any Backend {
        switch self {
        case .cpu: CPUBackend.shared
        case .reference: ReferenceBackend.shared
        }
    }

    public var description: String { rawValue }

    /// Runs `body` with every op dispatched to this backend.
    public func run<R>(_ body: () throws -> R) rethrows -> R {
        try BackendRegistry.withBackend(backend, body)
    }
}

extension ReferenceBackend {
    public static let shared = ReferenceBackend()
}
