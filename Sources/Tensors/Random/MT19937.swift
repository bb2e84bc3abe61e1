/// The 32-bit Mersenne Twister as torch's CPU generator runs it (`at::mt19937`): seeded with
/// the low 32 bits of the seed by the standard recurrence, state regenerated every 624 words.
public struct MT19937: Sendable, Equatable {
    private static let n = 624
    private static let m = 397
    private var state: [UInt32]
    private var next: Int

    public init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: Self.n)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for j in 1..<Self.n {
            let previous = state[j - 1]
            state[j] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(j)
        }
        self.state = state
        next = Self.n  // the first draw twists
    }

    /// The next tempered 32-bit word (`random()`).
    public mutating func nextWord() -> UInt32 {
        if next == Self.n { twist() }
        var y = state[next]
        next += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Two words, the first one high (`random64()`).
    public mutating func nextWord64() -> UInt64 {
        let high = UInt64(nextWord())
        return high << 32 | UInt64(nextWord())
    }

    private mutating func twist() {
        let n = Self.n, m = Self.m
        state.withUnsafeMutableBufferPointer { s in
            for j in 0..<n {
                let y = (s[j] & 0x8000_0000) | (s[(j + 1) % n] & 0x7FFF_FFFF)
                s[j] = s[(j + m) % n] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
            }
        }
        next = 0
    }
}
