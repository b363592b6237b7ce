import CSQLite
import Logging

/// Process-wide SQLite settings, applied once before the first connection opens (SQLite
/// refuses them after it has initialized). Memory statistics off: with them on, every
/// allocation inside SQLite takes one global mutex, which the reader threads contended for on
/// every query (seen as futex calls under `getNote` load).
private let sqliteConfigured: Bool = tidewater_sqlite3_disable_memstatus() == SQLITE_OK

/// One SQLite connection with a cache of prepared statements keyed by SQL text.
///
/// `@unchecked Sendable`: the connection is opened with `SQLITE_OPEN_NOMUTEX` and is used by one
/// thread at a time, never concurrently: the writer connection only by the writer thread (and by
/// `Store.init`/`close` before the thread starts and after it has exited), a read connection only
/// while it is checked out of the ``ReaderPool``, whose mutex hands each connection to a single
/// borrower. Moving it between threads is allowed by SQLite's multi-thread mode.
final class Connection: @unchecked Sendable {
    let handle: OpaquePointer
    let path: String
    let readOnly: Bool
    private var cache: [String: Statement] = [:]
    private var cacheOrder: [String] = []
    private var isClosed = false
    static let statementCacheLimit = 256

    init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        _ = sqliteConfigured
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            if let db { sqlite3_close_v2(db) }
            throw .sqlite(code: rc, message: message)
        }
        self.handle = db
        self.path = path
        self.readOnly = readOnly
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        if readOnly { try execute("PRAGMA query_only = 1") }
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        cacheOrder.removeAll()
        sqlite3_close_v2(handle)
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL text without parameters (may hold several statements).
    func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard rc == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw .sqlite(code: rc, message: message)
        }
    }

    /// A prepared statement for `sql` from the cache (prepared on first use), reset and unbound.
    func prepared(_ sql: String) throws(StoreError) -> Statement {
        if let statement = cache[sql] { return statement }
        let statement = try prepareUncached(sql)
        if cache.count >= Self.statementCacheLimit, !cacheOrder.isEmpty {
            let evicted = cacheOrder.removeFirst()
            cache.removeValue(forKey: evicted)?.finalize()
        }
        cache[sql] = statement
        cacheOrder.append(sql)
        return statement
    }

    func prepareUncached(_ sql: String) throws(StoreError) -> Statement {
        var pointer: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard rc == SQLITE_OK, let pointer else {
            throw .sqlite(code: rc, message: "\(lastErrorMessage) in: \(sql)")
        }
        return Statement(handle: pointer, sql: sql)
    }

    /// Runs a statement that returns no rows; returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, _ bindings: [SQLBinding] = []) throws(StoreError) -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and calls `row` for each result row. The statement is reset afterwards,
    /// so no read snapshot outlives the call.
    func query(_ sql: String, _ bindings: [SQLBinding] = [], row: (Statement) throws(StoreError) -> Void) throws(StoreError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() { try row(statement) }
    }

    /// The first row mapped by `transform`, or nil.
    func queryFirst<T>(_ sql: String, _ bindings: [SQLBinding] = [], _ transform: (Statement) throws(StoreError) -> T) throws(StoreError) -> T? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return try transform(statement)
    }

    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
