import Foundation
import Synchronization

/// Serialised access to stdout and stderr, so events from many tasks never interleave.
enum Terminal {
    private static let lock = Mutex(())

    static let isTTY = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func write(_ text: String) {
        lock.withLock { _ in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    static func printLine(_ text: String) { write(text + "\n") }

    static func printError(_ text: String) {
        lock.withLock { _ in
            FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        }
    }
}
