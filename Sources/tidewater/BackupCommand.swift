import ArgumentParser
import Foundation
import TideBackup
import TideServer

/// `tidewater backup`: a consistent copy of a data folder while the server serves it.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a data folder (every database, consistently, and the keys) into one archive; works while the server runs.")

    @Option(help: "The data folder.") var data: String = ServerConfiguration().dataDirectory
    @Option(help: "The archive to write (a tar file; replaced if it exists).") var to: String

    func run() async throws {
        runTimed {
            let summary = try DataFolderBackup.create(dataDirectory: data, archivePath: to)
            return "backed up \(summary.manifest.files.count) files (\(summary.archiveSize) bytes) to \(to) as of \(iso8601(summary.manifest.takenAt))"
        }
    }
}

/// `tidewater restore`: a backup into a new or empty data folder.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup archive into a new or empty data folder (never one a server is using); checks every file first.")

    @Option(help: "The archive written by `tidewater backup`.") var from: String
    @Option(help: "The data folder to create.") var data: String = ServerConfiguration().dataDirectory

    func run() async throws {
        runTimed {
            let summary = try DataFolderRestore.restore(archivePath: from, dataDirectory: data)
            return "restored \(summary.manifest.files.count) files into \(data) as of \(iso8601(summary.manifest.takenAt)) (integrity ok)"
        }
    }
}

/// Runs `body` and prints what it returns with the time it took; an error is one line on
/// stderr and exit status 1, as for the other admin commands.
private func runTimed(_ body: () throws -> String) {
    bootstrapLogging(defaultLevel: .warning)
    let started = ContinuousClock.now
    do {
        let done = try body()
        let duration = ContinuousClock.now - started
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        print("\(done) in \((seconds * 100).rounded() / 100) s")
    } catch {
        failAdmin("\(error)")
    }
}

/// Epoch milliseconds as ISO 8601 (UTC).
private func iso8601(_ milliseconds: Int64) -> String {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
}
