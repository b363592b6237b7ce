import Foundation
import Logging

/// A database's migrations in order, and the runner that brings a database up to date.
///
/// The database records how many migrations have run in `PRAGMA user_version`, and their names
/// with the time they ran (epoch ms) in a ledger table `(name TEXT PRIMARY KEY NOT NULL,
/// applied_at INTEGER NOT NULL)` that the **first migration creates**. A database that records
/// more migrations than the list holds was written by a newer build and is refused.
///
/// ```swift
/// let migrator = Migrator(database: "ledger", ledgerTable: "_ledger_migrations", migrations: [
///     Migration(name: "0001-deliveries", sql: """
///         CREATE TABLE "_ledger_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
///         CREATE TABLE "deliveries"("id" TEXT PRIMARY KEY NOT NULL, "at" INTEGER NOT NULL) STRICT;
///         """),
/// ])
/// let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 5_000)
/// try connection.enableWAL()
/// try connection.transaction(.immediate) { connection throws(SQLiteError) in
///     try migrator.apply(to: connection, logger: logger)
/// }
/// ```
public struct Migrator: Sendable {
    /// How the database is named in logs and in ``SQLiteError/newerVersion(database:applied:known:)``.
    public let database: String
    /// The table that records applied migrations (created by the first migration).
    public let ledgerTable: String
    public let migrations: [Migration]

    public init(database: String, ledgerTable: String, migrations: [Migration]) {
        self.database = database
        self.ledgerTable = ledgerTable
        self.migrations = migrations
    }

    /// Applies the migrations `connection` has not run yet, in order; call inside a transaction
    /// so that a failing migration leaves nothing half done.
    public func apply(to connection: Connection, logger: Logger) throws(SQLiteError) {
        let version = try connection.queryFirst("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
        guard version <= migrations.count else {
            throw .newerVersion(database: database, applied: version, known: migrations.count)
        }
        for (index, migration) in migrations.enumerated().dropFirst(version) {
            logger.notice("applying \(database) migration", metadata: ["migration": "\(migration.name)"])
            try connection.execute(migration.sql)
            try connection.run(
                "INSERT INTO \(SQL.quote(ledgerTable))(\"name\", \"applied_at\") VALUES (?, ?)",
                [.text(migration.name), .int(StoredTime.milliseconds(Date()))])
            try connection.execute("PRAGMA user_version = \(index + 1)")
        }
    }
}
