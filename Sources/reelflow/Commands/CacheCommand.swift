import ArgumentParser
import Foundation
import ReelflowEngine

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and clean the node cache.",
        subcommands: [Stats.self, List.self, GC.self, Verify.self, Clear.self])

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Entries, blobs, size and limit.")
        @OptionGroup var cacheOptions: CacheOptions

        func run() async throws {
            let cache = try cacheOptions.open()
            let stats = try CacheCommand.run { () throws(CacheError) in try cache.stats() }
            Terminal.printLine("""
                cache:     \(cacheOptions.root.path)
                entries:   \(stats.entries)
                blobs:     \(stats.blobs) (\(ByteSize.format(stats.blobBytes)))
                total:     \(ByteSize.format(stats.totalBytes)) of \(stats.limitBytes.map(ByteSize.format) ?? "no limit")
                temporary: \(stats.temporaryFiles) file\(stats.temporaryFiles == 1 ? "" : "s") (\(ByteSize.format(stats.temporaryBytes)))
                oldest use: \(stats.oldestUse.map(CacheCommand.date) ?? "-")
                newest use: \(stats.newestUse.map(CacheCommand.date) ?? "-")
                """)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "One line per entry, most recently used first.")
        @OptionGroup var cacheOptions: CacheOptions

        func run() async throws {
            let cache = try cacheOptions.open()
            let entries = try CacheCommand.run { () throws(CacheError) in try cache.list() }
            Terminal.printLine("KEY           LAST USED            SIZE        TIME     NODE (TYPE)")
            for entry in entries.sorted(by: { $0.lastUsed > $1.lastUsed }) {
                let line = entry.key.short.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + CacheCommand.date(entry.lastUsed).padding(toLength: 21, withPad: " ", startingAt: 0)
                    + ByteSize.format(entry.size).padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "%7.2fs  ", entry.durationSeconds)
                    + "\(entry.nodeID) (\(entry.nodeType))"
                    + (entry.damage.map { "  DAMAGED: \($0)" } ?? "")
                Terminal.printLine(line)
            }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove damaged entries, orphaned blobs and stale temporary files; evict least recently used entries over the limit.")
        @OptionGroup var cacheOptions: CacheOptions

        @Option(name: .customLong("max-size"), help: ArgumentHelp("Evict down to this size (e.g. 10G).", valueName: "size"))
        var maxSize: String?

        func validate() throws {
            if let maxSize, ByteSize.parse(maxSize) == nil {
                throw ValidationError("--max-size expects a size such as 500M or 10G, got \"\(maxSize)\".")
            }
        }

        func run() async throws {
            let cache = try cacheOptions.open()
            let limit = maxSize.flatMap(ByteSize.parse)
            let report = try CacheCommand.run { () throws(CacheError) in try cache.gc(maxBytes: limit) }
            Terminal.printLine(
                "gc: evicted \(report.evicted.count) entr\(report.evicted.count == 1 ? "y" : "ies"), "
                    + "removed \(report.damagedEntriesRemoved) damaged, \(report.blobsRemoved) blob\(report.blobsRemoved == 1 ? "" : "s"), "
                    + "\(report.temporaryFilesRemoved) temporary, "
                    + "\(report.runHistoriesRemoved) run histor\(report.runHistoriesRemoved == 1 ? "y" : "ies") of deleted graphs; "
                    + "freed \(ByteSize.format(report.bytesFreed)); "
                    + "now \(ByteSize.format(report.bytesAfter))")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every blob and check every entry; remove what is damaged.",
            discussion: "Exit code 0 when nothing was damaged, 1 when something was found (and removed), 3 on errors.")
        @OptionGroup var cacheOptions: CacheOptions

        func run() async throws {
            let cache = try cacheOptions.open()
            let report = try CacheCommand.run { () throws(CacheError) in try cache.verify() }
            for problem in report.problems { Terminal.printLine("damaged: \(problem)") }
            Terminal.printLine(
                "verify: checked \(report.blobsChecked) blob\(report.blobsChecked == 1 ? "" : "s") "
                    + "(\(ByteSize.format(report.bytesChecked))) and \(report.entriesChecked) entr\(report.entriesChecked == 1 ? "y" : "ies"); "
                    + (report.foundDamage
                        ? "removed \(report.damagedBlobsRemoved) damaged blob\(report.damagedBlobsRemoved == 1 ? "" : "s"), "
                            + "\(report.damagedEntriesRemoved) damaged entr\(report.damagedEntriesRemoved == 1 ? "y" : "ies"), "
                            + "\(report.straysRemoved) other file\(report.straysRemoved == 1 ? "" : "s")"
                        : "nothing damaged"))
            if report.foundDamage { throw ExitCodes.nodeFailed }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every entry.")
        @OptionGroup var cacheOptions: CacheOptions

        func run() async throws {
            let cache = try cacheOptions.open()
            let report = try CacheCommand.run { () throws(CacheError) in try cache.clear() }
            Terminal.printLine("cleared \(report.evicted.count) entr\(report.evicted.count == 1 ? "y" : "ies"), freed \(ByteSize.format(report.bytesFreed))")
        }
    }

    /// Runs a cache operation, printing its error and exiting 3 on failure.
    static func run<T>(_ body: () throws(CacheError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            Terminal.printError("error: \(error)")
            throw ExitCodes.internalError
        }
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}
