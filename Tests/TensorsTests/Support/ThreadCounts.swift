import Tensors

/// `body`'s result at each of `counts` threads (`TensorThreads.count`), the count restored
/// after: for tests that the bits of an op do not depend on how many threads run it.
func resultsOnThreads<T>(_ counts: [Int], _ body: () throws -> T) rethrows -> [T] {
    let saved = TensorThreads.count
    defer { TensorThreads.count = saved }
    return try counts.map { count in
        TensorThreads.count = count
        return try body()
    }
}
