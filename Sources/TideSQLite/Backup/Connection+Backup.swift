import CSQLite

extension Connection {
    /// Copies this database, as of one instant, into a new file at `destinationPath` with
    /// SQLite's online backup API, and leaves the copy in rollback-journal mode so it is a
    /// single self-contained file. Other connections and processes keep writing meanwhile.
    ///
    /// The whole copy is one `sqlite3_backup_step(-1)`: it runs inside one read transaction,
    /// so the copy is exactly the database at the moment that transaction began (in WAL mode
    /// writers are not blocked; the WAL only cannot be checkpointed past that moment until the
    /// copy ends). Stepping in smaller pieces would let a write from another process restart
    /// the copy again and again under a steady load.
    ///
    /// ```swift
    /// let source = try Connection(path: "data/tidewater.sqlite", readOnly: false, busyTimeoutMilliseconds: 5_000)
    /// try source.backup(into: "/backups/staging/tidewater.sqlite")
    /// ```
    public func backup(into destinationPath: String) throws(SQLiteError) {
        let destination = try Connection(path: destinationPath, readOnly: false, busyTimeoutMilliseconds: 5_000)
        defer { destination.close() }
        guard let backup = sqlite3_backup_init(destination.handle, "main", handle, "main") else {
            throw .sqlite(code: sqlite3_extended_errcode(destination.handle), message: destination.lastErrorMessage)
        }
        var rc = sqlite3_backup_step(backup, -1)
        // A lock held for a moment by another connection (a checkpoint, a schema change): retry.
        var attempts = 0
        while rc == SQLITE_BUSY || rc == SQLITE_LOCKED, attempts < 100 {
            attempts += 1
            sqlite3_sleep(50)
            rc = sqlite3_backup_step(backup, -1)
        }
        let finished = sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE else {
            throw .sqlite(code: rc, message: "backup of \(path) failed: \(String(cString: sqlite3_errstr(rc)))")
        }
        guard finished == SQLITE_OK else {
            throw .sqlite(code: finished, message: destination.lastErrorMessage)
        }
        _ = try destination.queryFirst("PRAGMA journal_mode = DELETE") { $0.text(0) }
    }

    /// `PRAGMA integrity_check`: an empty list when the database is sound, else SQLite's
    /// findings (at most `limit`).
    public func integrityProblems(limit: Int = 20) throws(SQLiteError) -> [String] {
        var problems: [String] = []
        let statement = try prepareUncached("PRAGMA integrity_check(\(max(1, limit)))")
        defer { statement.finalize() }
        while try statement.step() {
            let line = statement.text(0)
            if line != "ok" { problems.append(line) }
        }
        return problems
    }
}
