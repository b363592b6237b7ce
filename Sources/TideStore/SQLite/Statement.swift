import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value bound to a `?` parameter.
enum SQLBinding: Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// Text given as raw bytes (used for the exclusive upper bound of a prefix range, which
    /// need not be valid UTF-8; SQLite's BINARY collation compares bytes either way).
    case textBytes([UInt8])
}

/// A prepared statement. Owned by one ``Connection`` and used only by the thread that holds
/// that connection.
final class Statement {
    let handle: OpaquePointer
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    private var db: OpaquePointer? { sqlite3_db_handle(handle) }

    func error(_ code: Int32) -> StoreError {
        let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown error"
        return .sqlite(code: code, message: message)
    }

    /// Ends the statement's current run (releasing its read snapshot) and clears its bindings.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func finalize() { sqlite3_finalize(handle) }

    func bind(_ values: [SQLBinding]) throws(StoreError) {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    func bind(_ value: SQLBinding, at index: Int32) throws(StoreError) {
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

    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) -> Int32 {
        // A nil pointer would bind NULL: give the empty string a real (empty) buffer.
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
        }
        return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            sqlite3_bind_text(handle, index, $0, Int32(bytes.count), sqliteTransient)
        }
    }

    /// Advances to the next row: `true` when a row is available, `false` when done.
    @inline(__always)
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(rc)
        }
    }

    // MARK: Columns of the current row

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(handle, column) }
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The column's UTF-8 bytes without building a String (for the JSON parser).
    func withTextBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let pointer = sqlite3_column_text(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
}
