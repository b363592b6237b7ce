/// One named step of a database's own tables: a name recorded in the database's migration
/// ledger, and the SQL that runs once. Migrations are data — a ``Migrator`` holds them as a
/// named, ordered list. Append only: never edit or reorder a migration that has shipped.
///
/// ```swift
/// Migration(name: "0002-deliveries-attempts", sql: """
///     ALTER TABLE "deliveries" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
///     """)
/// ```
public struct Migration: Sendable {
    public let name: String
    /// One or more statements.
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
