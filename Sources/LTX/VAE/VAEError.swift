/// Input the VAE or the upsampler cannot take: a video or latent of the wrong shape, or a
/// decode that needs more random draws than were injected. The message says what was found
/// and which shapes would work.
public struct VAEError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
