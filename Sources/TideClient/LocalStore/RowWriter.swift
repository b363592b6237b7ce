import GRDB
import GRDBSQLite
import TideModel

/// Writes whole rows of a ``ModelTable`` with one of its row statements (`upsertServerSQL`,
/// `replaceSQL`), binding each value with SQLite's own calls and stepping the statement.
///
/// Why not `Statement.execute(arguments:)`: a base sync writes every record it receives, and
/// GRDB's generic route from values to bindings (a `StatementArguments` built through a key path
/// per row, then one nested temporary binding per column) took about a third of the client's CPU
/// during a catch-up. Nothing else changes: the statement is GRDB's cached one, the write happens
/// inside GRDB's transaction, and the tables are `WITHOUT ROWID`, which SQLite's update hook does
/// not report anyway, so observation goes through ``LocalStore/changed(_:_:)`` as for every write.
struct RowWriter {
    private let statement: Statement
    private let db: Database
    private let table: ModelTable

    init(_ db: Database, _ table: ModelTable, sql: String) throws {
        self.db = db
        self.table = table
        statement = try db.cachedStatement(sql: sql)
    }

    /// Writes a server record (no local writes on it). Returns whether a row changed: the upsert
    /// leaves a newer or pending row alone.
    @discardableResult
    func write(server record: Record) throws -> Bool {
        try write(
            id: record.id, version: record.version, deleted: record.deleted, lastChangedAt: record.lastChangedAt,
            createdAt: record.createdAt.isEmpty ? nil : record.createdAt, updatedAt: record.updatedAt.isEmpty ? nil : record.updatedAt,
            pending: false, fields: record.deleted ? [:] : record.fields)
    }

    /// Writes a whole row in layout order. Returns whether a row changed.
    @discardableResult
    func write(
        id: String, version: Int64?, deleted: Bool, lastChangedAt: Int64?, createdAt: String?, updatedAt: String?, pending: Bool,
        fields: [String: JSONValue]
    ) throws -> Bool {
        let handle = statement.sqliteStatement
        // SQLite keeps the bindings of the previous row until they are replaced: every
        // parameter is bound below, in layout order.
        sqlite3_reset(handle)
        bind(.text(id), 1)
        bind(version.map(ModelTable.StoredValue.integer) ?? .null, 2)
        bind(.integer(deleted ? 1 : 0), 3)
        bind(lastChangedAt.map(ModelTable.StoredValue.integer) ?? .null, 4)
        bind(createdAt.map(ModelTable.StoredValue.text) ?? .null, 5)
        bind(updatedAt.map(ModelTable.StoredValue.text) ?? .null, 6)
        bind(.integer(pending ? 1 : 0), 7)
        var index: CInt = 8
        for column in table.columns {
            bind(ModelTable.encode(fields[column.field] ?? .null, column.kind), index)
            index += 1
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = db.lastErrorMessage
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
        return sqlite3_changes(db.sqliteConnection) > 0
    }

    private func bind(_ value: ModelTable.StoredValue, _ index: CInt) {
        let handle = statement.sqliteStatement
        // Binding fails only for an index out of range or a value over SQLite's size limit,
        // which the statement's layout and a record from a page of JSON rule out; a failure
        // would then show in the step, which reports the statement's error.
        switch value {
        case .null:
            sqlite3_bind_null(handle, index)
        case .integer(let value):
            sqlite3_bind_int64(handle, index, value)
        case .real(let value):
            sqlite3_bind_double(handle, index, value)
        case .text(var text):
            text.withUTF8 { bytes in
                _ = sqlite3_bind_text(handle, index, bytes.baseAddress, CInt(bytes.count), Self.transient)
            }
        }
    }

    /// SQLite copies the bytes (they live only during the call).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
