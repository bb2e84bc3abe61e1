import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A string per calling thread: what that thread's last call chose (oneDNN's implementation
/// of its last product or convolution). Tests read it right after their own call; one global
/// value raced with the calls other tests make on other threads at the same time.
package final class PerThreadRecord: Sendable {
    private let values = Mutex<[UInt: String]>([:])

    package init() {}

    /// The calling thread's value, "" before its first.
    package var value: String { values.withLock { $0[Self.thread] ?? "" } }

    package func set(_ value: String) { values.withLock { $0[Self.thread] = value } }

    private static var thread: UInt { UInt(pthread_self()) }
}
