import Foundation
import ReelflowIO

extension CacheStore {
    /// Checks the whole cache under an exclusive lock and removes what is damaged:
    /// re-hashes every blob (a blob whose bytes no longer match its name goes, even if no
    /// run has read it yet), then checks every manifest as a lookup does (parses, names its
    /// key, lists outputs in known encodings, each blob present with its size; an entry
    /// whose blob was just removed goes too), and removes what is not a regular file where
    /// a blob or manifest goes. Removed entries are recomputed by the next run that needs them.
    /// - Throws: `.busy` if a run holds the cache (nothing is checked), `.io` on failures.
    public func verify() throws(CacheError) -> VerifyReport {
        let lock = try acquireLock(.exclusive, wait: false)
        defer { lock.release() }
        var report = VerifyReport()
        let strays = try removeStrays()
        report.problems += strays.found.map { "\($0): not a regular file" }
        report.straysRemoved = strays.removed

        for file in try scan(casPath, suffix: nil) {
            report.blobsChecked += 1
            report.bytesChecked += file.size
            guard let expected = Digest(hex: file.name) else {
                report.problems.append("\(file.path): the file name is not a digest")
                if try FileSystem.remove(file.path) { report.damagedBlobsRemoved += 1 }
                continue
            }
            let (digest, _) = try Digest.ofFile(path: file.path)
            guard digest != expected else { continue }
            report.problems.append("\(file.path): the contents have digest \(digest.short), not the blob's name")
            if try FileSystem.remove(file.path) { report.damagedBlobsRemoved += 1 }
        }

        for file in try scan(acPath, suffix: ".json") {
            report.entriesChecked += 1
            let reason: String
            if let key = Digest(hex: file.name) {
                guard case .damaged(let why) = lookup(key) else { continue }
                reason = why
            } else {
                reason = "\(file.path): the file name is not a key"
            }
            report.problems.append(reason)
            if try FileSystem.remove(file.path) { report.damagedEntriesRemoved += 1 }
        }
        return report
    }
}
