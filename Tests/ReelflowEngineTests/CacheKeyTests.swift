import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheKeyTests {
    @Test func digestMatchesKnownSHA256AndRoundTrips() throws {
        // FIPS 180-2 test vector for "abc".
        let abc = Digest.of(string: "abc")
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest(hex: abc.hex) == abc)
        #expect(Digest(hex: abc.hex.uppercased()) == abc)
        #expect(Digest(bytes: abc.bytes) == abc)
        #expect(Digest(hex: "xyz") == nil)
        #expect(Digest(hex: String(repeating: "g", count: 64)) == nil)
        let json = try JSONEncoder().encode([abc])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(abc.hex)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: json) == [abc])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\"ab\"]".utf8)) }
    }

    @Test func fileDigestStreamsAcrossChunkBoundaries() throws {
        let scratch = try ScratchDirectory()
        // 2.5 MiB crosses the 1 MiB read chunks.
        let bytes = Data((0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let file = scratch.url.appendingPathComponent("big.bin")
        try bytes.write(to: file)
        #expect(try Digest.of(fileAt: file) == Digest.of(data: bytes))
        #expect(throws: CacheError.self) { try Digest.of(fileAt: scratch.url.appendingPathComponent("absent")) }
    }

    @Test func keyIsDeterministicAndIndependentOfAddOrder() {
        var a = KeyBuilder()
        a.add("type", string: "Blur")
        a.add("version", integer: 2)
        a.add("param:radius", string: "3.5")
        a.add("input:image", digest: Digest.of(string: "pixels"))
        var b = KeyBuilder()
        b.add("input:image", digest: Digest.of(string: "pixels"))
        b.add("param:radius", string: "3.5")
        b.add("version", integer: 2)
        b.add("type", string: "Blur")
        #expect(a.finalize() == b.finalize())
        #expect(a.finalize() == a.finalize())
        let standard = KeyBuilder.nodeKey(type: "Blur", version: 2, params: ["radius": "3.5"],
                                          inputs: ["image": Digest.of(string: "pixels")])
        #expect(standard.finalize() == a.finalize())
        // A fixed value guards against accidental changes of the encoding (which would
        // silently invalidate every user's cache).
        #expect(a.finalize().hex == KeyBuilderGolden.blur)
    }

    @Test func differentSplitsOfTheSameBytesNeverCollide() {
        func key(_ parts: [(String, String)]) -> Digest {
            var builder = KeyBuilder()
            for (label, value) in parts { builder.add(label, string: value) }
            return builder.finalize()
        }
        let keys = [
            key([("ab", "c")]), key([("a", "bc")]), key([("abc", "")]), key([("", "abc")]),
            key([("a", "b"), ("c", "")]), key([("a", ""), ("b", "c")]), key([("a", "bc"), ("d", "")]),
        ]
        #expect(Set(keys).count == keys.count)
        // The same bytes as a string, as raw bytes and as a digest part differ too.
        var s = KeyBuilder(); s.add("x", string: "abc")
        var r = KeyBuilder(); r.add("x", bytes: Array("abc".utf8))
        #expect(s.finalize() != r.finalize())
        // Domains separate key families.
        var d = KeyBuilder(domain: "other"); d.add("x", string: "abc")
        #expect(d.finalize() != s.finalize())
    }

    @Test func everyPartChangesTheKey() {
        let base = KeyBuilder.nodeKey(type: "T", version: 1, params: ["seed": "1"],
                                      inputs: ["in": Digest.of(string: "x")]).finalize()
        let variants = [
            KeyBuilder.nodeKey(type: "U", version: 1, params: ["seed": "1"], inputs: ["in": Digest.of(string: "x")]),
            KeyBuilder.nodeKey(type: "T", version: 2, params: ["seed": "1"], inputs: ["in": Digest.of(string: "x")]),
            KeyBuilder.nodeKey(type: "T", version: 1, params: ["seed": "2"], inputs: ["in": Digest.of(string: "x")]),
            KeyBuilder.nodeKey(type: "T", version: 1, params: ["seed": "1"], inputs: ["in": Digest.of(string: "y")]),
            KeyBuilder.nodeKey(type: "T", version: 1, params: ["seed": "1"], inputs: ["in2": Digest.of(string: "x")]),
            KeyBuilder.nodeKey(type: "T", version: 1, params: ["seed": "1"], inputs: [:]),
        ].map { $0.finalize() }
        #expect(Set(variants + [base]).count == variants.count + 1)
    }

    @Test func componentsAreReadable() {
        let long = String(repeating: "a cat ", count: 20)
        let fingerprint = FileFingerprint(path: "/v.mp4", size: 10, modifiedNanoseconds: 5, contentDigest: nil)
        var builder = KeyBuilder.nodeKey(type: "T", version: 3, params: ["seed": "42", "prompt": long],
                                         inputs: ["in": Digest.of(string: "x")], files: ["video": fingerprint])
        builder.add("extra", bytes: [1, 2])
        #expect(builder.components == [
            "type": "T", "version": "3", "param:seed": "42",
            "param:prompt": "sha256:\(Digest.of(string: long).hex)",
            "input:in": Digest.of(string: "x").hex,
            "file:video": "path=/v.mp4 size=10 mtime=5",
            "extra": "sha256:\(Digest.of(data: [1, 2] as [UInt8]).hex)",
        ])
        #expect(builder.labels == ["extra", "file:video", "input:in", "param:prompt", "param:seed", "type", "version"])
    }

    @Test func fingerprintWithContentIgnoresPathAndTime() {
        let digest = Digest.of(string: "content")
        let a = FileFingerprint(path: "/a", size: 7, modifiedNanoseconds: 1, contentDigest: digest)
        let b = FileFingerprint(path: "/b", size: 7, modifiedNanoseconds: 2, contentDigest: digest)
        let c = FileFingerprint(path: "/a", size: 7, modifiedNanoseconds: 2, contentDigest: nil)
        let d = FileFingerprint(path: "/a", size: 7, modifiedNanoseconds: 3, contentDigest: nil)
        func key(_ f: FileFingerprint) -> Digest {
            var builder = KeyBuilder()
            builder.add("file:x", fingerprint: f)
            return builder.finalize()
        }
        #expect(key(a) == key(b))
        #expect(key(c) != key(d))
        #expect(key(a) != key(c))
    }
}

/// The key of `keyIsDeterministicAndIndependentOfAddOrder`, computed independently by the
/// Python rendering of the encoding in docs/cache.md ("Key composition").
enum KeyBuilderGolden {
    static let blur = "bfb8f1fdb9a629377b06d4a702e5115c4aa075699f341261508e62f376def6d6"
}
