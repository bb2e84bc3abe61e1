import Synchronization

/// Which backend runs ops for each device. `.cpu` is always `CPUBackend.shared`; a GPU
/// backend registers itself when its libraries load.
public enum BackendRegistry {
    private static let table = Mutex<[Device: any Backend]>([:])

    /// Makes `backend` the one that runs ops on `backend.device` (replacing any before it).
    public static func register(_ backend: any Backend) {
        table.withLock { $0[backend.device] = backend }
    }

    /// The backend for `device`, or a `BackendError` that says what is missing.
    public static func resolve(_ device: Device) throws(BackendError) -> any Backend {
        if device == .cpu { return CPUBackend.shared }
        guard let backend = table.withLock({ $0[device] }) else { throw .noBackend(device) }
        return backend
    }

    /// A backend that replaces the registered one for its device within `withBackend`.
    @TaskLocal static var override: (any Backend)?

    /// Runs `body` with every op on `backend.device` dispatched to `backend` instead of the
    /// registered one (on this task and the tasks it starts). The shared op suite runs the
    /// same tests on each backend this way; it is also how two backends are compared.
    public static func withBackend<R>(_ backend: any Backend, _ body: () throws -> R) rethrows -> R {
        try $override.withValue(backend, operation: body)
    }

    /// The backend for `device`; stops with the `resolve` message when there is none (a
    /// tensor can only be on a device whose backend made it).
    public static func backend(for device: Device) -> any Backend {
        if let o = override, o.device == device { return o }
        if device == .cpu { return CPUBackend.shared }
        do { return try resolve(device) } catch { fatalError("\(error)") }
    }
}

/// A device that this build or machine cannot run ops on.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    case noBackend(Device)

    public var description: String {
        switch self {
        case .noBackend(let device):
            "no backend for device \(device): this build runs tensor ops on the CPU only (devices: cpu)"
        }
    }
}

extension Tensor {
    /// The backend that runs an op over `operands` (all on one device).
    static func backend(_ operands: Tensor?...) -> any Backend {
        var device: Device?
        for case let t? in operands {
            if let d = device {
                require(d == t.device, "operands on \(d) and \(t.device); move one with to(device:)")
            } else {
                device = t.device
            }
        }
        return BackendRegistry.backend(for: device ?? .cpu)
    }

    /// The backend of this tensor's device.
    var backend: any Backend { BackendRegistry.backend(for: device) }
}
