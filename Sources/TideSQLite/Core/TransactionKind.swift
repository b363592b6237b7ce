/// How a transaction takes its locks (SQLite's `BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE`).
public enum TransactionKind: String, Sendable {
    /// Locks on first read or write; a later write may fail with `SQLITE_BUSY`.
    case deferred = "DEFERRED"
    /// Takes the write lock at `BEGIN`, so the read-then-write steps inside cannot be
    /// interleaved by another connection or process.
    case immediate = "IMMEDIATE"
    /// Like `immediate` (in WAL mode the two are the same).
    case exclusive = "EXCLUSIVE"
}

extension Connection {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws
    /// (its error is rethrown; a failing `BEGIN` or `COMMIT` is thrown as `Failure`).
    ///
    /// ```swift
    /// let rotated = try connection.transaction(.immediate) { connection throws(SQLiteError) -> Bool in
    ///     guard try connection.run("UPDATE \"keys\" SET \"retired_at\" = ? WHERE \"retired_at\" IS NULL", [.int(now)]) > 0 else { return false }
    ///     try connection.run("INSERT INTO \"keys\"(\"kid\", \"created_at\") VALUES (?, ?)", [.text(kid), .int(now)])
    ///     return true
    /// }
    /// ```
    public func transaction<T, Failure: SQLiteErrorWrapping>(
        _ kind: TransactionKind, _ body: (Connection) throws(Failure) -> T
    ) throws(Failure) -> T {
        try Failure.wrapping(execute("BEGIN \(kind.rawValue)"))
        do throws(Failure) {
            let result = try body(self)
            try Failure.wrapping(execute("COMMIT"))
            return result
        } catch {
            if !isAutocommit { try? execute("ROLLBACK") }
            throw error
        }
    }
}
