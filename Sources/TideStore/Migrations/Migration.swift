import Foundation
import Logging

/// One named step of a database's own tables. A database applies its list in order and records
/// how many have run in `PRAGMA user_version`, and their names in a ledger table that the first
/// migration creates. Append only: never edit or reorder a migration that has shipped.
struct Migration: Sendable {
    let name: String
    let sql: String

    /// Applies the migrations of `list` that `connection` has not run yet; call inside a transaction.
    ///
    /// - Parameters:
    ///   - ledger: the table (created by the first migration) that records applied names.
    ///   - format: how the database is named in the error for a folder written by a newer build.
    static func apply(
        _ list: [Migration], to connection: Connection, ledger: String, format: String, logger: Logger
    ) throws(StoreError) {
        let version = try connection.queryFirst("PRAGMA user_version") { Int($0.int64(0)) } ?? 0
        guard version <= list.count else {
            throw .incompatibleSchema([
                "the data folder was written by a newer Tidewater (\(format) format \(version); this build knows up to \(list.count))"
            ])
        }
        for (index, migration) in list.enumerated().dropFirst(version) {
            logger.notice("applying \(format) migration", metadata: ["migration": "\(migration.name)"])
            try connection.execute(migration.sql)
            try connection.run(
                "INSERT INTO \(SQL.quote(ledger))(\"name\", \"applied_at\") VALUES (?, ?)",
                [.text(migration.name), .int(Timestamps.milliseconds(Date()))])
            try connection.execute("PRAGMA user_version = \(index + 1)")
        }
    }
}
