import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns.
@usableFromInline
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Owned by one ``Connection`` and used only by the thread that holds
/// that connection.
///
/// The hot calls (bind, step, reset, the column getters) are `@inlinable`: they compile into
/// the caller as direct C calls, as they did before this layer was a module of its own.
///
/// ```swift
/// let statement = try connection.prepared("SELECT \"id\", \"ts\" FROM \"feed\" WHERE \"seq\" > ? ORDER BY \"seq\"")
/// defer { statement.reset() }
/// try statement.bind([.int(after)])
/// while try statement.step() { entries.append((statement.text(0), statement.int64(1))) }
/// ```
public final class Statement {
    /// The `sqlite3_stmt *` handle.
    public let handle: OpaquePointer
    public let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    private var db: OpaquePointer? { sqlite3_db_handle(handle) }

    /// The connection's error for a failed call that returned `code`.
    @usableFromInline
    func error(_ code: Int32) -> SQLiteError {
        let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
        return .sqlite(code: code, message: message)
    }

    /// Ends the statement's current run (releasing its read snapshot) and clears its bindings.
    @inlinable
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Frees the statement (a cached one is finalized by its connection).
    public func finalize() { sqlite3_finalize(handle) }

    /// Binds `values` to the parameters `?1`, `?2`, … in order.
    @inlinable
    public func bind(_ values: [SQLBinding]) throws(SQLiteError) {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    /// Binds one value to the parameter at `index` (1-based).
    @inlinable
    public func bind(_ value: SQLBinding, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .int(let i): rc = sqlite3_bind_int64(handle, index, i)
        case .double(let d): rc = sqlite3_bind_double(handle, index, d)
        case .text(var s):
            rc = s.withUTF8 { bytes in bindText(bytes, at: index) }
        case .textBytes(let bytes):
            rc = bytes.withUnsafeBufferPointer { bindText($0, at: index) }
        }
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    @usableFromInline
    func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) -> Int32 {
        // A nil pointer would bind NULL: give the empty string a real (empty) buffer.
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
        }
        return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            sqlite3_bind_text(handle, index, $0, Int32(bytes.count), sqliteTransient)
        }
    }

    /// Advances to the next row: `true` when a row is available, `false` when done.
    @inlinable
    @inline(__always)
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(rc)
        }
    }

    // MARK: Columns of the current row (0-based)

    @inlinable public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    /// `SQLITE_INTEGER`, `SQLITE_FLOAT`, `SQLITE_TEXT`, `SQLITE_BLOB` or `SQLITE_NULL`.
    @inlinable public func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }
    @inlinable public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    @inlinable public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column as text (empty for NULL).
    @inlinable
    public func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The column's UTF-8 bytes without building a String (for the JSON parser). The buffer is
    /// valid only inside `body`.
    @inlinable
    public func withTextBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let pointer = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }

    @inlinable public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    @inlinable public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
}
