import Foundation
import ReelflowIO

typealias TextFilePolicy = ExistingOutputPolicy

enum TextFileWriter {
    /// Writes `text` atomically under `policy`; returns the path written.
    /// The parent directory is created when missing, as users expect of an output path.
    static func write(_ text: String, to path: String, policy: ExistingOutputPolicy) throws -> String {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let written = try AtomicFileWriter.write(to: URL(fileURLWithPath: path), policy: policy) { tmp in
            try Data(text.utf8).write(to: tmp)
            #if DEBUG
            // Test hook (debug builds only): hold the temporary file open for a while, so a
            // test can signal the process while an output is being written.
            if let seconds = ProcessInfo.processInfo.environment["REELFLOW_DEBUG_OUTPUT_DELAY"].flatMap(Double.init) {
                Thread.sleep(forTimeInterval: seconds)
            }
            #endif
        }
        return written.path
    }
}
