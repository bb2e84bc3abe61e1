import Testing
import Tensors

/// Differences between an actual and an expected tensor of the same shape.
struct Difference: CustomStringConvertible {
    var maxAbsolute: Float
    var maxRelative: Float  // |a - e| / max(|e|, 1e-3) at the worst element
    var worstIndex: Int

    var description: String { "max-abs \(maxAbsolute), max-rel \(maxRelative) (element \(worstIndex))" }

    init(_ actual: Tensor, _ expected: Tensor) {
        precondition(actual.shape == expected.shape)
        var maxAbsolute: Float = 0, maxRelative: Float = 0, worst = -1
        for (i, (a, e)) in zip(actual.hostScalars(), expected.hostScalars()).enumerated() {
            let d = abs(a - e)
            if d.isNaN || d > maxAbsolute {
                maxAbsolute = d.isNaN ? .infinity : d
                worst = i
            }
            maxRelative = max(maxRelative, d.isNaN ? .infinity : d / max(abs(e), 1e-3))
        }
        self.maxAbsolute = maxAbsolute
        self.maxRelative = maxRelative
        self.worstIndex = worst
    }

}

/// Elements outside `absolute + relative * |expected|` (NaN counts as outside).
func violations(_ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float) -> Int {
    zip(actual.hostScalars(), expected.hostScalars()).reduce(0) { n, pair in
        let (a, e) = pair
        return abs(a - e) <= absolute + relative * abs(e) ? n : n + 1
    }
}

/// Expects `actual` to match `expected`: shapes first, then every element within
/// `absolute + relative * |expected|` (max-abs and max-rel are reported on failure).
func expectClose(
    _ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("\(label): shape \(actual.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let diff = Difference(actual, expected)
    let bad = violations(actual, expected, absolute: absolute, relative: relative)
    #expect(
        bad == 0,
        "\(label): \(bad) elements outside \(absolute) + \(relative)*|expected|; \(diff)",
        sourceLocation: sourceLocation)
}

/// Expects `actual` to differ from `expected` by more than the tolerance: the sanity
/// mutation that shows a comparison can fail.
func expectFar(
    _ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else { return }
    let diff = Difference(actual, expected)
    #expect(
        violations(actual, expected, absolute: absolute, relative: relative) > 0,
        "\(label): mutation was not detected (\(diff))", sourceLocation: sourceLocation)
}
