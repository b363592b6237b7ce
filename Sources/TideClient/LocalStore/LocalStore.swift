import Foundation
import GRDB
import TideModel

/// TideModel's record, not GRDB's class of the same name (module declarations shadow imports).
typealias Record = TideModel.Record

/// One user's local database on one server (ARCHITECTURE §9.1): the records as the app sees
/// them, the outbox, the server's copies of records with local writes, the sync cursors and
/// the record of conflict resolutions, all in one SQLite file (GRDB `DatabasePool`, WAL,
/// `synchronous = FULL`), so a local write and its outbox entry commit together and survive a
/// killed process.
///
/// Layout:
/// - `records_<Model>`: one row per record (``ModelTable``): the server's copy with pending
///   local writes applied, or a tombstone.
/// - `outbox`: queued writes (``OutboxEntry``) in order.
/// - `server_copies`: for a record with queued writes, the server's last copy, on which those
///   writes are replayed whenever it changes and which a discard restores.
/// - `sync_state`: per model, the `lastSync` cursor and the sync predicate it was taken with.
/// - `conflicts`: every conflict resolution (``ConflictRecord``).
/// - `meta`: the resume seq of subscriptions, the layout of each model table.
final class LocalStore: Sendable {
    let pool: DatabasePool
    let schema: ClientSchema
    let tables: [String: ModelTable]
    let path: String
    /// A field transform is configured: `@encrypted` fields may be written (they leave encrypted).
    let writesEncryptedFields: Bool

    /// Opens (creating or migrating) the store at `path`.
    init(
        path: String, schema: ClientSchema, localIndexes: [String: [[String]]] = [:], writesEncryptedFields: Bool = false
    ) throws(TideClientError) {
        self.path = path
        self.schema = schema
        self.writesEncryptedFields = writesEncryptedFields
        var tables: [String: ModelTable] = [:]
        for description in schema.models {
            tables[description.name] = ModelTable(model: description.model, extraIndexes: localIndexes[description.name] ?? [])
        }
        self.tables = tables
        do {
            try PrivateFile.makeDirectory((path as NSString).deletingLastPathComponent)
            var configuration = Configuration()
            // Another process (`tide save` beside `tide watch`) may hold the write lock briefly.
            configuration.busyMode = .timeout(10)
            configuration.label = "TideClient"
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets NORMAL after prepareDatabase: FULL makes each commit durable
            // (an acknowledged local write and its outbox entry survive a power loss).
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            _ = chmod(path, 0o600)
            try Self.migrator.migrate(pool)
            try pool.write { db in try Self.prepareTables(db, tables: Array(tables.values)) }
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .localStore("cannot open \(path): \(error)")
        }
    }

    func close() {
        try? pool.close()
    }

    func table(_ model: String) throws(TideClientError) -> ModelTable {
        guard let table = tables[model] else { throw .unknownModel(model) }
        return table
    }

    /// The fixed tables; model tables follow the schema (``prepareTables(_:tables:)``).
    private static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, record_id TEXT NOT NULL,
                        op TEXT NOT NULL, fields TEXT NOT NULL, base_version INTEGER, state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0, conflict_retries INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at INTEGER NOT NULL DEFAULT 0, reason TEXT, created_at INTEGER NOT NULL);
                    CREATE INDEX outbox_by_record ON outbox (model, record_id, seq);
                    CREATE TABLE server_copies (
                        model TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
                        PRIMARY KEY (model, id)) WITHOUT ROWID;
                    CREATE TABLE conflicts (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, model TEXT NOT NULL,
                        record_id TEXT NOT NULL, op TEXT NOT NULL, local_version INTEGER, server_version INTEGER,
                        strategy TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);
                    CREATE TABLE sync_state (model TEXT PRIMARY KEY, last_sync INTEGER, predicate TEXT) WITHOUT ROWID;
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    """)
        }
        return migrator
    }()

    /// Creates each model's table and indexes; a table whose columns changed type (the schema
    /// changed a field's type) is rebuilt and its model synced from scratch.
    private static func prepareTables(_ db: Database, tables: [ModelTable]) throws {
        for table in tables {
            let key = "table:\(table.model.name)"
            let recorded = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
            if let recorded, recorded != table.signature {
                let old = Dictionary(
                    recorded.split(separator: ",").map { part -> (String, String) in
                        let pieces = part.split(separator: ":", maxSplits: 1)
                        return (String(pieces[0]), pieces.count > 1 ? String(pieces[1]) : "")
                    }, uniquingKeysWith: { first, _ in first })
                let onlyAdded = old.allSatisfy { name, kind in table.columns.contains { $0.field == name && $0.kind.rawValue == kind } }
                if onlyAdded {
                    for column in table.columns where old[column.field] == nil {
                        try db.execute(
                            sql: "ALTER TABLE \(ModelTable.quote(table.tableName)) ADD COLUMN \(ModelTable.quote(column.field)) \(column.kind.affinity)")
                    }
                } else {
                    try db.execute(sql: "DROP TABLE IF EXISTS \(ModelTable.quote(table.tableName))")
                    try db.execute(sql: "DELETE FROM sync_state WHERE model = ?", arguments: [table.model.name])
                }
            }
            try db.execute(sql: table.createSQL)
            for sql in table.indexSQL { try db.execute(sql: sql) }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, table.signature])
        }
    }

    /// Epoch milliseconds.
    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

extension LocalStore {
    /// Runs a write transaction, turning GRDB's errors into ``TideClientError``s.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(TideClientError) -> T {
        do {
            return try await pool.write(body)
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .localStore("\(error)")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(TideClientError) -> T {
        do {
            return try await pool.read(body)
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .localStore("\(error)")
        }
    }
}
