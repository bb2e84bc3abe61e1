import Synchronization

/// A shared "next item" counter for dynamic work distribution.
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Returns the current value and increments it.
    func takeNext() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
