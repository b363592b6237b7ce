import Testing
import TideSQLite

@Suite("ReaderPool", .timeLimit(.minutes(1)))
struct ReaderPoolTests {
    @Test func reusesIdleConnectionsAndOpensMoreWhenAllAreBorrowed() throws {
        let database = try TestDatabase()
        let writer = try database.open()
        defer { writer.close() }
        try writer.execute("CREATE TABLE \"t\"(\"x\" INTEGER); INSERT INTO \"t\" VALUES (1), (2);")
        let pool = ReaderPool(path: database.path, capacity: 1, busyTimeoutMilliseconds: 100, logger: quietLogger)
        defer { pool.closeAll() }

        let first = try pool.withReader { connection throws(SQLiteError) in ObjectIdentifier(connection) }
        let again = try pool.withReader { connection throws(SQLiteError) in ObjectIdentifier(connection) }
        #expect(first == again)
        let (outer, inner, sum) = try pool.withReader { outer throws(SQLiteError) in
            try pool.withReader { inner throws(SQLiteError) in
                (ObjectIdentifier(outer), ObjectIdentifier(inner), try inner.queryFirst("SELECT sum(\"x\") FROM \"t\"") { $0.int64(0) })
            }
        }
        #expect(outer == first)
        #expect(inner != outer)
        #expect(sum == 3)
        // A committed write is visible to the next read.
        try writer.run("INSERT INTO \"t\" VALUES (3)")
        #expect(try pool.withReader { connection throws(SQLiteError) in try connection.queryFirst("SELECT count(*) FROM \"t\"") { $0.int64(0) } } == 3)
    }

    @Test func aClosedPoolThrowsClosed() throws {
        let database = try TestDatabase()
        try database.open().close()
        let pool = ReaderPool(path: database.path, capacity: 2, busyTimeoutMilliseconds: 100, logger: quietLogger)
        _ = try pool.withReader { connection throws(SQLiteError) in try connection.queryFirst("SELECT 1") { $0.int64(0) } }
        pool.closeAll()
        #expect(throws: SQLiteError.closed) { try pool.withReader { _ throws(SQLiteError) in 1 } }
    }
}
