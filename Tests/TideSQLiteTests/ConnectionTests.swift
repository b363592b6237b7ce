import CSQLite
import Testing
import TideSQLite

/// An error type of a module built on the SQLite layer, to check that its own errors and
/// SQLite's travel through transactions and pooled reads.
private enum LedgerError: SQLiteErrorWrapping, Equatable {
    case unknownDelivery(String)
    case sqlite(SQLiteError)

    init(_ error: SQLiteError) { self = .sqlite(error) }
}

@Suite("Connection", .timeLimit(.minutes(1)))
struct ConnectionTests {
    @Test func runsQueriesWithBindingsAndCountsChanges() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try connection.execute("CREATE TABLE \"t\"(\"id\" INTEGER PRIMARY KEY, \"name\" TEXT, \"score\" REAL, \"note\" TEXT)")
        for (i, name) in ["a", "b", "c"].enumerated() {
            try connection.run(
                "INSERT INTO \"t\"(\"name\", \"score\", \"note\") VALUES (?, ?, ?)", [.text(name), .double(Double(i) + 0.5), .null])
            #expect(connection.lastInsertRowID == Int64(i + 1))
        }
        #expect(try connection.run("UPDATE \"t\" SET \"note\" = ? WHERE \"id\" > ?", [.text("later"), .int(1)]) == 2)
        var rows: [String] = []
        try connection.query("SELECT \"name\", \"score\", \"note\" FROM \"t\" ORDER BY \"id\"") { row in
            rows.append("\(row.text(0)) \(row.double(1)) \(row.optionalText(2) ?? "nil")")
        }
        #expect(rows == ["a 0.5 nil", "b 1.5 later", "c 2.5 later"])
        #expect(try connection.queryFirst("SELECT \"name\" FROM \"t\" WHERE \"id\" = ?", [.int(9)]) { $0.text(0) } == nil)
    }

    @Test func bindsTheEmptyStringAsTextAndRawBytes() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        let empty = try connection.queryFirst("SELECT ? IS NULL, typeof(?1), length(?1)", [.text("")]) {
            ($0.int64(0), $0.text(1), $0.int64(2))
        }
        #expect(empty?.0 == 0 && empty?.1 == "text" && empty?.2 == 0)
        // Bytes that are not valid UTF-8 stay as they are (prefix-range bounds rely on it).
        let bytes = try connection.queryFirst("SELECT hex(?)", [.textBytes([0x61, 0xFF])]) { $0.text(0) }
        #expect(bytes == "61FF")
        let unicode = try connection.queryFirst("SELECT ?", [.text("zürich 🌊")]) { row in
            row.withTextBytes(0) { Array($0) }
        }
        #expect(unicode == Array("zürich 🌊".utf8))
    }

    @Test func cachesPreparedStatementsUpToTheLimit() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        let first = try connection.prepared("SELECT 0")
        #expect(try connection.prepared("SELECT 0") === first)
        for i in 1...Connection.statementCacheLimit { _ = try connection.prepared("SELECT \(i)") }
        // The oldest statement was finalized to make room: asking again prepares a new one.
        #expect(try connection.prepared("SELECT 0") !== first)
        #expect(try connection.queryFirst("SELECT 0") { $0.int64(0) } == 0)
    }

    @Test func reportsConstraintsWithTheirExtendedCodes() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try connection.execute(
            "CREATE TABLE \"u\"(\"id\" TEXT PRIMARY KEY NOT NULL, \"name\" TEXT NOT NULL UNIQUE) STRICT")
        try connection.run("INSERT INTO \"u\" VALUES (?, ?)", [.text("1"), .text("alice")])
        #expect(throws: SQLiteError.self) { try connection.run("INSERT INTO \"u\" VALUES (?, ?)", [.text("2"), .text("alice")]) }
        do throws(SQLiteError) {
            try connection.run("INSERT INTO \"u\" VALUES (?, ?)", [.text("2"), .text("alice")])
        } catch .sqlite(let code, let message) {
            #expect(code == ResultCode.uniqueConstraint)
            #expect(message.contains("UNIQUE"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do throws(SQLiteError) {
            try connection.run("INSERT INTO \"u\" VALUES (?, ?)", [.text("1"), .text("bob")])
        } catch .sqlite(let code, _) {
            #expect(code == ResultCode.primaryKeyConstraint)
        } catch {
            Issue.record("unexpected \(error)")
        }
        do throws(SQLiteError) {
            _ = try connection.prepared("SELEC 1")
            Issue.record("a syntax error prepared")
        } catch .sqlite(let code, let message) {
            #expect(code == SQLITE_ERROR)
            #expect(message.hasSuffix("in: SELEC 1"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func transactionsCommitOrRollBackWithTheCallersErrors() throws {
        let database = try TestDatabase()
        let connection = try database.open()
        defer { connection.close() }
        try connection.execute("CREATE TABLE \"d\"(\"id\" TEXT PRIMARY KEY NOT NULL, \"done\" INTEGER NOT NULL DEFAULT 0)")

        let inserted = try connection.transaction(.immediate) { connection throws(SQLiteError) -> Int in
            try connection.run("INSERT INTO \"d\"(\"id\") VALUES ('a'), ('b')")
        }
        #expect(inserted == 2)
        #expect(connection.isAutocommit)

        func markDone(_ id: String) throws(LedgerError) {
            try connection.transaction(.immediate) { connection throws(LedgerError) in
                let changed = try LedgerError.wrapping(connection.run("UPDATE \"d\" SET \"done\" = 1"))
                #expect(changed == 2)
                guard try LedgerError.wrapping(connection.queryFirst("SELECT 1 FROM \"d\" WHERE \"id\" = ?", [.text(id)]) { _ in true }) != nil
                else { throw .unknownDelivery(id) }
            }
        }
        #expect(throws: LedgerError.unknownDelivery("z")) { try markDone("z") }
        #expect(connection.isAutocommit)
        // The update inside the failed transaction was rolled back.
        #expect(try connection.queryFirst("SELECT sum(\"done\") FROM \"d\"") { $0.int64(0) } == 0)
        try markDone("a")
        #expect(try connection.queryFirst("SELECT sum(\"done\") FROM \"d\"") { $0.int64(0) } == 2)

        // A failing statement inside: SQLite's error arrives wrapped, nothing is kept.
        #expect(throws: LedgerError.self) {
            try connection.transaction(.deferred) { connection throws(LedgerError) in
                try LedgerError.wrapping(connection.run("DELETE FROM \"d\""))
                try LedgerError.wrapping(connection.run("INSERT INTO \"d\"(\"id\") VALUES (NULL)"))
            }
        }
        #expect(try connection.queryFirst("SELECT count(*) FROM \"d\"") { $0.int64(0) } == 2)
    }

    @Test func readOnlyConnectionsRefuseWrites() throws {
        let database = try TestDatabase()
        let writer = try database.open()
        defer { writer.close() }
        try writer.execute("CREATE TABLE \"t\"(\"x\" INTEGER)")
        let reader = try Connection(path: database.path, readOnly: true, busyTimeoutMilliseconds: 100)
        defer { reader.close() }
        #expect(throws: SQLiteError.self) { try reader.run("INSERT INTO \"t\" VALUES (1)") }
        try writer.run("INSERT INTO \"t\" VALUES (1)")
        #expect(try reader.queryFirst("SELECT count(*) FROM \"t\"") { $0.int64(0) } == 1)
        #expect(try reader.queryFirst("PRAGMA journal_mode") { $0.text(0) } == "wal")
    }

    @Test func quotesIdentifiers() {
        #expect(SQL.quote("plain") == "\"plain\"")
        #expect(SQL.quote("we\"ird") == "\"we\"\"ird\"")
        #expect(SQL.placeholders(3) == "?, ?, ?")
    }
}
