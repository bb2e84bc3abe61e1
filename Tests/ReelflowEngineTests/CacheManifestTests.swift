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
    func roundTripsThroughTheStoredJSON(_ manifest: CacheManifest) throws {
        let bytes = try manifest.encoded()
        #expect(try CacheManifest.decode(bytes).get() == manifest)
    }

    @Test func readsEscapesAnotherWriterMayUse() throws {
        var json = String(decoding: try Self.samples[2].encoded(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"nodeID\" : \"n\"", with: "\"nodeID\" : \"\\u00e9\\ud83d\\ude00\\/\"")
        #expect(try CacheManifest.decode(Array(json.utf8)).get().nodeID == "é\u{1F600}/")
    }

    @Test func damageIsWordedForTheReport() throws {
        let good = String(decoding: try Self.samples[2].encoded(), as: UTF8.self)
        func failure(_ text: String) -> String? {
            guard case .failure(let failure) = CacheManifest.decode(Array(text.utf8)) else { return nil }
            return failure.text
        }
        #expect(failure("{}") == "the manifest has no \"format\"")
        #expect(failure("")?.hasPrefix("not valid manifest JSON") == true)
        #expect(failure(good + "x")?.hasPrefix("not valid manifest JSON") == true)
        #expect(failure(String(repeating: "[", count: 100_000))?.isEmpty == false)
        #expect(failure(good.replacingOccurrences(of: "\"key\"", with: "\"kee\"")) == "the manifest has no \"key\"")
        #expect(failure(good.replacingOccurrences(of: "\"nodeVersion\" : 0", with: "\"nodeVersion\" : \"0\""))?
            .hasPrefix("the manifest's \"nodeVersion\" is malformed") == true)
    }
}
