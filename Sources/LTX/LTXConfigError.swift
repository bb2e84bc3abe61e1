/// A model config that Reelflow cannot build: names the file, the config key and what was
/// expected.
public struct LTXConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let key: String
    public let reason: String

    public init(path: String, key: String, _ reason: String) {
        self.path = path
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(path): config key '\(key)': \(reason)" }
}
