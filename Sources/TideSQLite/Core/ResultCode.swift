import CSQLite

/// Extended result codes that `sqlite3.h` defines as macro expressions, which Swift does not
/// import. Connections run with extended result codes on.
///
/// ```swift
/// do throws(SQLiteError) {
///     try connection.run("INSERT INTO \"users\"(\"id\", \"username\") VALUES (?, ?)", [.text(id), .text(name)])
/// } catch .sqlite(let code, _) where code == ResultCode.uniqueConstraint {
///     return false  // the username is taken
/// }
/// ```
public enum ResultCode {
    /// `SQLITE_CONSTRAINT_PRIMARYKEY`: an insert with a key that is taken.
    public static let primaryKeyConstraint: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    /// `SQLITE_CONSTRAINT_UNIQUE`: a value a `UNIQUE` column already holds.
    public static let uniqueConstraint: Int32 = SQLITE_CONSTRAINT | (8 << 8)

    /// Whether `code` (primary or extended) is `SQLITE_FULL`: the disk (or filesystem) holding
    /// the database or its WAL has no room left.
    public static func isFull(_ code: Int32) -> Bool { code & 0xFF == SQLITE_FULL }
}
