import Foundation
import Logging
import TideSQLite

/// When the database was last restored from a backup, and what the backup held.
///
/// A restore throws away everything written after the backup, which clients may already have
/// seen: their delta-sync positions (`lastSync`) and feed positions (`resumeFrom`) from before
/// the restore describe a history the server no longer has. So a restored store
///
/// - answers any `lastSync` older than `restoredAt` with a flagged base sync (docs/SYNC.md);
///   the stamp clock starts at `restoredAt`, so positions handed out afterwards are newer;
/// - continues the change feed at `backupFeedHead + feedSeqJump`: a `resumeFrom` handed out by
///   the lost history can then never name a new entry, and is refused (`RESUME_TOO_OLD`)
///   instead of silently skipping what was written since the restore.
public struct RestorePoint: Sendable, Hashable {
    /// Epoch ms at which `tidewater restore` ran.
    public var restoredAt: Int64
    /// Epoch ms at which the backup's copy of the database was taken.
    public var backupTakenAt: Int64
    /// The feed head seq in the backup.
    public var backupFeedHead: Int64

    /// How far a restore moves the feed sequence on (2^40): the lost history would have had
    /// to append that many entries after the backup for an old position to meet a new one,
    /// while seqs stay well inside JSON's exact integers (2^53) for thousands of restores.
    public static let feedSeqJump: Int64 = 1 << 40

    public init(restoredAt: Int64, backupTakenAt: Int64, backupFeedHead: Int64) {
        self.restoredAt = restoredAt
        self.backupTakenAt = backupTakenAt
        self.backupFeedHead = backupFeedHead
    }

    static let latest = """
        SELECT "restored_at", "backup_taken_at", "backup_feed_head" FROM "_restore_points"
        ORDER BY "restored_at" DESC LIMIT 1
        """
}

extension Store {
    /// Marks the (not yet served) database file at `databasePath`, just restored from a backup
    /// taken at `backupTakenAt` (epoch ms), as restored now: brings the store's own tables up to
    /// date, records the ``RestorePoint`` and moves the feed sequence on by
    /// ``RestorePoint/feedSeqJump``, in one transaction. Returns the point recorded.
    ///
    /// ```swift
    /// let point = try Store.markRestored(databasePath: staging + "/tidewater.sqlite", backupTakenAt: manifest.takenAt)
    /// ```
    @discardableResult
    public static func markRestored(
        databasePath: String, backupTakenAt: Int64, now: Date = Date(), logger: Logger = Logger(label: "tidewater.store")
    ) throws(StoreError) -> RestorePoint {
        let connection = try StoreError.wrapping(Connection(path: databasePath, readOnly: false, busyTimeoutMilliseconds: 5_000))
        defer { connection.close() }
        return try connection.transaction(.immediate) { connection throws(StoreError) in
            try StoreError.wrapping(StoreMigrations.migrator.apply(to: connection, logger: logger))
            let head = try StoreError.wrapping(connection.queryFirst(FeedSQL.head) { $0.int64(0) }) ?? 0
            let point = RestorePoint(
                restoredAt: StoredTime.milliseconds(now), backupTakenAt: backupTakenAt, backupFeedHead: head)
            try StoreError.wrapping(
                connection.run(
                    "INSERT INTO \"_restore_points\"(\"restored_at\", \"backup_taken_at\", \"backup_feed_head\") VALUES (?, ?, ?)",
                    [.int(point.restoredAt), .int(point.backupTakenAt), .int(point.backupFeedHead)]))
            // sqlite_sequence has a row for _feed once the feed's first entry was written.
            let moved = try StoreError.wrapping(
                connection.run(
                    "UPDATE sqlite_sequence SET \"seq\" = \"seq\" + ? WHERE \"name\" = '_feed'", [.int(RestorePoint.feedSeqJump)]))
            if moved == 0 {
                try StoreError.wrapping(
                    connection.run(
                        "INSERT INTO sqlite_sequence(\"name\", \"seq\") VALUES ('_feed', ?)", [.int(RestorePoint.feedSeqJump)]))
            }
            return point
        }
    }

    /// The latest restore point recorded in the open database, if any.
    static func latestRestorePoint(_ connection: Connection) throws(SQLiteError) -> RestorePoint? {
        try connection.queryFirst(RestorePoint.latest) {
            RestorePoint(restoredAt: $0.int64(0), backupTakenAt: $0.int64(1), backupFeedHead: $0.int64(2))
        }
    }
}
