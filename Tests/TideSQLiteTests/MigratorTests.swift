import Testing
import TideSQLite

@Suite("Migrator", .timeLimit(.minutes(1)))
struct MigratorTests {
    static let first = Migration(
        name: "0001-ledger-items",
        sql: """
            CREATE TABLE "_test_migrations"("name" TEXT PRIMARY KEY NOT NULL, "applied_at" INTEGER NOT NULL);
            CREATE TABLE "items"("id" TEXT PRIMARY KEY NOT NULL) STRICT;
            """)
    static let second = Migration(name: "0002-items-label", sql: "ALTER TABLE \"items\" ADD COLUMN \"label\" TEXT;")

    static func migrator(_ migrations: [Migration]) -> Migrator {
        Migrator(database: "test", ledgerTable: "_test_migrations", migrations: migrations)
    }

    static func migrate(_ connection: Connection, _ migrations: [Migration]) throws(SQLiteError) {
        try connection.transaction(.immediate) { connection throws(SQLiteError) in
            try migrator(migrations).apply(to: connection, logger: quietLogger)
        }
    }

    static func ledger(_ connection: Connection) throws -> (version: Int64, names: [String]) {
        let version = try connection.queryFirst("PRAGMA user_version") { $0.int64(0) } ?? -1
        var names: [String] = []
        try connection.query("SELECT \"name\" FROM \"_test_migrations\" ORDER BY \"name\"") { names.append($0.text(0)) }
        return (version, names)
    }

    @Test func appliesMissingMigrationsInOrderOnce() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try Self.migrate(connection, [Self.first])
        #expect(try Self.ledger(connection) == (1, ["0001-ledger-items"]))
        try connection.run("INSERT INTO \"items\"(\"id\") VALUES ('kept')")

        // A later build appends a migration: only that one runs, and the data stays.
        try Self.migrate(connection, [Self.first, Self.second])
        try Self.migrate(connection, [Self.first, Self.second])
        #expect(try Self.ledger(connection) == (2, ["0001-ledger-items", "0002-items-label"]))
        #expect(try connection.queryFirst("SELECT \"id\", \"label\" IS NULL FROM \"items\"") { "\($0.text(0)) \($0.int64(1))" } == "kept 1")
    }

    @Test func refusesADatabaseWrittenByANewerBuild() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try Self.migrate(connection, [Self.first, Self.second])
        #expect(throws: SQLiteError.newerVersion(database: "test", applied: 2, known: 1)) {
            try Self.migrate(connection, [Self.first])
        }
        #expect(try Self.ledger(connection) == (2, ["0001-ledger-items", "0002-items-label"]))
    }

    @Test func aFailingMigrationLeavesNothingApplied() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try Self.migrate(connection, [Self.first])
        let broken = Migration(name: "0002-broken", sql: "CREATE TABLE \"more\"(\"x\" INTEGER); ALTER TABLE \"missing\" ADD COLUMN \"y\" TEXT;")
        #expect(throws: SQLiteError.self) { try Self.migrate(connection, [Self.first, broken]) }
        #expect(try Self.ledger(connection) == (1, ["0001-ledger-items"]))
        #expect(try connection.queryFirst("SELECT 1 FROM sqlite_master WHERE \"name\" = 'more'") { _ in true } == nil)
    }
}
