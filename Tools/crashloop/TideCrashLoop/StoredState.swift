import Foundation
import TideSQLite

/// A record row as the database file holds it.
struct StoredRow: Sendable, Equatable {
    var version: Int64
    var deleted: Bool
    var title: String?
}

/// A feed entry: which record, at which version.
struct StoredFeedEntry: Sendable, Hashable {
    var model: String
    var id: String
    var version: Int64
}

/// What `<data>/tidewater.sqlite` holds once the server is dead, read through a read-only
/// connection (which also replays the WAL the killed server left behind).
struct StoredState: Sendable {
    var integrity: [String]
    var rows: [RecordKey: StoredRow]
    /// The seq of each feed entry.
    var feed: [StoredFeedEntry: Int64]
    /// Where the feed's seqs are not contiguous (other than at a restore point's jump), and entries written twice.
    var feedProblems: [String]

    static func read(dataDirectory: URL) throws -> StoredState {
        let path = dataDirectory.appendingPathComponent("tidewater.sqlite").path
        let connection = try Connection(path: path, readOnly: true, busyTimeoutMilliseconds: 5_000)
        defer { connection.close() }
        var integrity: [String] = []
        try connection.query("PRAGMA integrity_check") { integrity.append($0.text(0)) }

        var rows: [RecordKey: StoredRow] = [:]
        for model in CrashModel.allCases {
            try connection.query("SELECT \"id\", \"_version\", \"_deleted\", \"title\" FROM \"\(model.tableName)\"") {
                rows[RecordKey(model: model, id: $0.text(0))] = StoredRow(
                    version: $0.int64(1), deleted: $0.int64(2) != 0, title: $0.optionalText(3))
            }
        }

        // A restore moves the feed on (docs/OPERATIONS.md): the entry after a restored
        // backup's head may jump.
        var restoredHeads: Set<Int64> = []
        let hasRestorePoints = try connection.queryFirst(
            "SELECT 1 FROM \"sqlite_master\" WHERE \"type\" = 'table' AND \"name\" = '_restore_points'") { _ in true } ?? false
        if hasRestorePoints {
            try connection.query("SELECT \"backup_feed_head\" FROM \"_restore_points\"") { restoredHeads.insert($0.int64(0)) }
        }
        /// The seq of each feed entry.
    var feed: [StoredFeedEntry: Int64] = [:]
        var gaps: [String] = []
        var previous: Int64?
        try connection.query("SELECT \"seq\", \"model\", \"id\", \"version\" FROM \"_feed\" ORDER BY \"seq\"") {
            let seq = $0.int64(0)
            let entry = StoredFeedEntry(model: $0.text(1), id: $0.text(2), version: $0.int64(3))
            if let earlier = feed.updateValue(seq, forKey: entry) {
                gaps.append("\(entry.model) \(entry.id) version \(entry.version) is in the feed twice, at seq \(earlier) and \(seq)")
            }
            if let previous, seq != previous + 1, !restoredHeads.contains(previous) {
                gaps.append("feed seq \(previous) is followed by \(seq)")
            }
            previous = seq
        }
        return StoredState(integrity: integrity, rows: rows, feed: feed, feedProblems: gaps)
    }
}
