import CSQLite
import Logging

/// Process-wide SQLite settings, applied once before the first connection opens (SQLite
/// refuses them after it has initialized). Memory statistics off: with them on, every
/// allocation inside SQLite takes one global mutex, which the reader threads contended for on
/// every query (seen as futex calls under `getNote` load).
private let sqliteConfigured: Bool = tidewater_sqlite3_disable_memstatus() == SQLITE_OK

/// One SQLite connection with a cache of prepared statements keyed by SQL text.
///
/// Calls go straight to the C API: a cached statement is looked up by its text, bound, stepped
/// and reset, with no allocation per row. Errors are ``SQLiteError``; a module with its own
/// error type wraps them (``SQLiteErrorWrapping``).
///
/// ```swift
/// let connection = try Connection(path: "data/ledger.sqlite", readOnly: false, busyTimeoutMilliseconds: 5_000)
/// try connection.enableWAL()
/// try connection.execute("PRAGMA synchronous = FULL")
/// try connection.transaction(.immediate) { connection throws(SQLiteError) in
///     try migrator.apply(to: connection, logger: logger)
/// }
/// try connection.run("INSERT INTO \"deliveries\"(\"id\", \"at\") VALUES (?, ?)", [.text(id), .int(StoredTime.milliseconds(now))])
/// let pending = try connection.queryFirst("SELECT count(*) FROM \"deliveries\"") { $0.int64(0) } ?? 0
/// try connection.query("SELECT \"id\" FROM \"deliveries\" WHERE \"at\" < ?", [.int(cutoff)]) { row in ids.append(row.text(0)) }
/// ```
///
/// `@unchecked Sendable`: the connection is opened with `SQLITE_OPEN_NOMUTEX` (SQLite's
/// multi-thread mode), which allows moving it between threads but not using it from two at once,
/// and its statement cache is unsynchronized. Every owner uses it from one thread at a time: the
/// store's writer connection only on the writer thread (and in `Store.init`/`close` before that
/// thread starts and after it has ended), a read connection only while it is checked out of a
/// ``ReaderPool`` (whose mutex hands it to a single borrower), the identity store's connection
/// only under its mutex. A new owner must give the same guarantee.
public final class Connection: @unchecked Sendable {
    /// The `sqlite3 *` handle, for C API calls this type does not wrap (backup, FTS5 functions).
    public let handle: OpaquePointer
    public let path: String
    public let readOnly: Bool
    private var cache: [String: Statement] = [:]
    private var cacheOrder: [String] = []
    private var isClosed = false
    /// How many prepared statements a connection keeps; the oldest is finalized past this.
    public static let statementCacheLimit = 256

    /// Opens (creating it unless `readOnly`) the database file at `path`, with extended result
    /// codes on and a busy timeout for locks held by other connections or processes. A read-only
    /// connection also sets `query_only`.
    public init(path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32) throws(SQLiteError) {
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

    /// Finalizes the cached statements and closes the connection; idempotent. The connection
    /// must not be used afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        cacheOrder.removeAll()
        sqlite3_close_v2(handle)
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL text without parameters (may hold several statements).
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard rc == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw .sqlite(code: rc, message: message)
        }
    }

    /// Switches the database to write-ahead logging (kept in the file), so readers run beside
    /// one writer; throws when SQLite cannot (e.g. an in-memory database).
    public func enableWAL() throws(SQLiteError) {
        let mode = try queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw .sqlite(code: SQLITE_ERROR, message: "cannot switch \(path) to WAL mode (got \(mode ?? "nothing"))")
        }
    }

    /// A prepared statement for `sql` from the cache (prepared on first use). Reset it when done
    /// (``run(_:_:)``, ``query(_:_:row:)`` and ``queryFirst(_:_:_:)`` do).
    public func prepared(_ sql: String) throws(SQLiteError) -> Statement {
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

    /// A statement outside the cache, for SQL run once; the caller finalizes it.
    public func prepareUncached(_ sql: String) throws(SQLiteError) -> Statement {
        var pointer: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard rc == SQLITE_OK, let pointer else {
            let message = lastErrorMessage
            if let limit = Self.sizeLimits.first(where: { message.hasPrefix($0) }) { throw .tooLarge(limit: limit) }
            throw .sqlite(code: rc, message: "\(message) in: \(sql)")
        }
        return Statement(handle: pointer, sql: sql)
    }

    /// SQLite's refusals of a statement too large to prepare: SQL built from a request (a
    /// filter with deeply nested groups, or thousands of terms) reaches them, SQL of our own
    /// does not.
    private static let sizeLimits = [
        "parser stack overflow", "Expression tree is too large", "too many SQL variables", "too many terms in compound SELECT",
        "too many arguments on function", "too many FROM clause terms", "too many columns",
    ]

    /// Runs a statement that returns no rows; returns the number of rows it changed.
    @inlinable
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLBinding] = []) throws(SQLiteError) -> Int {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and calls `row` for each result row. The statement is reset afterwards,
    /// so no read snapshot outlives the call.
    @inlinable
    public func query(_ sql: String, _ bindings: [SQLBinding] = [], row: (Statement) throws(SQLiteError) -> Void) throws(SQLiteError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        while try statement.step() { try row(statement) }
    }

    /// The first row mapped by `transform`, or nil.
    @inlinable
    public func queryFirst<T>(
        _ sql: String, _ bindings: [SQLBinding] = [], _ transform: (Statement) throws(SQLiteError) -> T
    ) throws(SQLiteError) -> T? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return try transform(statement)
    }

    /// True outside an explicit transaction (also after SQLite rolled one back by itself).
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
