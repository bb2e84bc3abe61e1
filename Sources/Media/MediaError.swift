/// Everything that can go wrong reading or writing media, with enough context for someone who
/// never read the source: the file, the problem, and for a C library failure its code, its own
/// text and what was being attempted.
///
/// Printed form (argument-parser prints it as is):
/// `media/reference.mp4: libavformat error -2 (No such file or directory) while opening the file`
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that branch on it (tests, exit codes).
    public enum Kind: String, Sendable, Equatable {
        /// The file does not exist or cannot be opened.
        case unreadable
        /// The bytes are not media this library can read (wrong format, corrupt, truncated).
        case invalidData
        /// The file is media but holds nothing usable (no video stream, zero frames).
        case empty
        /// The declared size is beyond what this library agrees to decode.
        case absurdDimensions
        /// The pixel format cannot be converted to RGB here.
        case unsupportedPixelFormat
        /// The caller asked for something impossible (negative size, bad frame range, ...).
        case invalidArgument
        /// The output could not be written.
        case unwritable
    }

    public let kind: Kind
    /// The file the failure is about.
    public let path: String
    /// A full sentence fragment saying what went wrong.
    public let problem: String

    public init(_ kind: Kind, path: String, _ problem: String) {
        self.kind = kind
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
