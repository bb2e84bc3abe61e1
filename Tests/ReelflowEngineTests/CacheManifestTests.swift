import Foundation
import Testing
@testable import ReelflowEngine

@Suite struct CacheManifestTests {
    static let samples: [CacheManifest] = [
        CacheManifest(
            key: Digest.of(string: "k1"), nodeID: "stage1", nodeType: "Sampler", nodeVersion: 3,
            params: "{\"prompt\":\"a \\\"quoted\\\" cat\\n\\ttab\",\"seed\":42}",
            inputs: ["latent": Digest.of(string: "l"), "model": Digest.of(string: "m")],
            files: ["video": FileFingerprint(path: "/in/clip one.mp4", size: 123_456_789_012,
                                             modifiedNanoseconds: 1_732_000_000_123_456_789, contentDigest: nil),
                    "prompt": FileFingerprint(path: "/p.txt", size: 5, modifiedNanoseconds: -5,
                                              contentDigest: Digest.of(string: "p"))],
            outputs: ["latent": CacheOutput(digest: Digest.of(string: "o"), size: 1 << 40, portType: "LATENT",
                                            encoding: "safetensors")],
            durationSeconds: 12.345678901234, created: Date(timeIntervalSince1970: 1_763_700_000),
            engineVersion: "0.1.0", graphFile: "/graphs/édit ✂️.yaml"),
        CacheManifest(
            key: Digest.of(string: "k2"), nodeID: "ü/\u{1}\u{1F600}", nodeType: "T", nodeVersion: -1, params: "",
            inputs: [:], outputs: [:], durationSeconds: 1e-7, created: Date(timeIntervalSince1970: -86_400 * 400),
            engineVersion: "", graphFile: nil),
        CacheManifest(
            key: Digest.of(string: "k3"), nodeID: "n", nodeType: "T", nodeVersion: 0, params: "{}", inputs: [:],
            outputs: ["a": CacheOutput(digest: Digest.of(string: "a"), size: 0, portType: "INT", encoding: "json"),
                      "b": CacheOutput(digest: Digest.of(string: "a"), size: 0, portType: "INT", encoding: "json")],
            durationSeconds: 0, created: Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            engineVersion: "x", graphFile: "/g.yaml"),
    ]

    @Test(arguments: samples)
    func fastReaderAgreesWithJSONDecoder(_ manifest: CacheManifest) throws {
        let bytes = try manifest.encoded()
        let fast = try #require(ManifestReader.read(bytes))
        let reference = try CacheManifest.decodeWithFoundation(bytes).get()
        #expect(fast == reference)
        #expect(fast == manifest)
    }

    @Test func fastReaderHandlesEscapesFoundationMayWrite() throws {
        var json = String(decoding: try Self.samples[2].encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"nodeID\" : \"n\"", with: "\"nodeID\" : \"\\u00e9\\ud83d\\ude00\\/\"")
        let fast = try #require(ManifestReader.read(Array(json.utf8)))
        #expect(fast.nodeID == "é\u{1F600}/")
        #expect(fast == (try CacheManifest.decodeWithFoundation(Array(json.utf8)).get()))
    }

    @Test func fastReaderDeclinesWhatItDoesNotKnow() throws {
        let good = String(decoding: try Self.samples[2].encoded(), as: UTF8.self)
        let bad = [
            "", "{", "[]", "{}", good + "x", good.replacingOccurrences(of: "\"format\" : 1", with: "\"format\" : 2"),
            good.replacingOccurrences(of: "Z\"", with: ".5Z\""),  // fractional seconds: leave to JSONDecoder
            good.replacingOccurrences(of: "\"nodeVersion\" : 0", with: "\"nodeVersion\" : 0.5"),
            good.replacingOccurrences(of: "\"nodeID\" : \"n\"", with: "\"nodeID\" : \"\\ud800\""),
            good.replacingOccurrences(of: "\"key\"", with: "\"kee\""),
            good.replacingOccurrences(of: "\"nodeVersion\" : 0", with: "\"nodeVersion\" : 00"),
            good.replacingOccurrences(of: "\"nodeVersion\" : 0", with: "\"nodeVersion\" : 99999999999999999999"),
            good.replacingOccurrences(of: "\"nodeVersion\" : 0", with: "\"nodeVersion\" : -"),
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ]
        for text in bad { #expect(ManifestReader.read(Array(text.utf8)) == nil, "\(text.prefix(60))") }
        // The lookup path then reports the Foundation decoder's words.
        guard case .failure(let failure) = CacheManifest.decode(Array("{}".utf8)) else {
            Issue.record("expected a failure"); return
        }
        #expect(failure.text == "the manifest has no \"format\"")
    }
}
