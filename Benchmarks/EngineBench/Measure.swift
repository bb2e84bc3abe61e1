import Foundation

/// Timing helpers: medians over repeated runs, printed beside a target or peer.
enum Measure {
    /// Median wall time in seconds of `body` over `runs` runs (after one warm-up).
    static func median(runs: Int, warmUp: Bool = true, _ body: () throws -> Void) rethrows -> Double {
        if warmUp { try body() }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try body()
            times.append(seconds(ContinuousClock.now - start))
        }
        return times.sorted()[times.count / 2]
    }

    static func median(runs: Int, _ body: () async throws -> Void) async rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try await body()
            times.append(seconds(ContinuousClock.now - start))
        }
        return times.sorted()[times.count / 2]
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, attos) = d.components
        return Double(s) + Double(attos) * 1e-18
    }

    /// Prints `label  value  peer-label peer  ratio` with the ratio value/peer
    /// (below 1.0 is better when lower is better).
    static func report(_ label: String, _ value: Double, unit: Unit, versus peerLabel: String, _ peer: Double) {
        let ratio = value / peer
        print(
            label.padding(toLength: 46, withPad: " ", startingAt: 0)
                + unit.format(value).padding(toLength: 12, withPad: " ", startingAt: 0)
                + (peerLabel + " " + unit.format(peer)).padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: "ratio %.3f", ratio))
    }

    enum Unit {
        case milliseconds, microseconds
        func format(_ seconds: Double) -> String {
            switch self {
            case .milliseconds: String(format: "%.2f ms", seconds * 1e3)
            case .microseconds: String(format: "%.2f µs", seconds * 1e6)
            }
        }
    }
}
