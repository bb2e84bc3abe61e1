import ArgumentParser

/// The documented exit codes (see `reelflow --help` and docs/cli.md).
enum ExitCodes {
    /// A node failed (`run`), or `cache verify` found damage.
    static let nodeFailed = ExitCode(1)
    static let invalidInput = ExitCode(2)
    static let internalError = ExitCode(3)
    static let interrupted = ExitCode(130)
    /// Stopped by SIGTERM (128 + 15).
    static let terminated = ExitCode(143)
}
