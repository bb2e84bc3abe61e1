/// Philox4x32-10 (Salmon et al., Random123) with cuRAND's device-state conventions
/// (`curandStatePhilox4_32_10_t`): key = the 64-bit seed (low word first), counter words
/// (x, y) = the position in the subsequence in blocks of 4 words, (z, w) = the subsequence.
public struct Philox4x32: Sendable, Equatable {
    public typealias Block = (UInt32, UInt32, UInt32, UInt32)

    private var counter: (x: UInt32, y: UInt32, z: UInt32, w: UInt32)
    private let key: (UInt32, UInt32)

    /// `curand_init(seed, subsequence, offset, &state)` for an offset that is a multiple of 4
    /// (torch only uses those; the offset counts 32-bit words, 4 per block).
    public init(seed: UInt64, subsequence: UInt64, offset: UInt64) {
        require(offset % 4 == 0, "Philox4x32: offset \(offset) is not a multiple of 4")
        key = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        let blocks = offset / 4
        counter = (
            UInt32(truncatingIfNeeded: blocks), UInt32(truncatingIfNeeded: blocks >> 32),
            UInt32(truncatingIfNeeded: subsequence), UInt32(truncatingIfNeeded: subsequence >> 32)
        )
    }

    /// The next 4 words (`curand4`), then the counter moves one block on (128-bit increment).
    public mutating func nextBlock() -> Block {
        let block = Self.block(counter: (counter.x, counter.y, counter.z, counter.w), key: key)
        counter.x &+= 1
        if counter.x == 0 {
            counter.y &+= 1
            if counter.y == 0 {
                counter.z &+= 1
                if counter.z == 0 { counter.w &+= 1 }
            }
        }
        return block
    }

    /// The Philox4x32-10 bijection of one counter under one key.
    public static func block(counter: Block, key: (UInt32, UInt32)) -> Block {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) * UInt64(c.0)
            let p1 = UInt64(0xCD9E_8D57) * UInt64(c.2)
            c = (
                UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0)
            )
        }
        return c
    }

    public static func == (a: Philox4x32, b: Philox4x32) -> Bool {
        a.counter == b.counter && a.key == b.key
    }
}
