import CSQLite

/// Extended result codes that `sqlite3.h` defines as macro expressions, which Swift does not
/// import. Connections run with extended result codes on.
enum ResultCode {
    /// `SQLITE_CONSTRAINT_PRIMARYKEY`: an insert with a key that is taken.
    static let primaryKeyConstraint: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    /// `SQLITE_CONSTRAINT_UNIQUE`: a value a `UNIQUE` column already holds.
    static let uniqueConstraint: Int32 = SQLITE_CONSTRAINT | (8 << 8)
}
