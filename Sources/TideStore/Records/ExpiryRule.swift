/// When a record of a model with a `@ttl` field has expired, in one place: once its TTL (epoch
/// seconds) is at or before now. From that second on reads and writes treat it as absent; the
/// maintenance sweep later turns it into a tombstone. A record without a TTL never expires.
///
/// Point reads and the writer check a stored row in memory (``isExpired(_:nowSeconds:)``);
/// lists and the sweep ask SQLite (``liveCondition``, ``expiredCondition``). The three are
/// written here side by side so they cannot drift apart.
struct ExpiryRule: Sendable {
    /// The `@ttl` field's column.
    let column: ColumnRef
    /// Its index into ``StoredRow/values``.
    let fieldIndex: Int
    /// SQL true for rows that have not expired; `nowSeconds` is bound to its `?`.
    let liveCondition: String
    /// SQL true for rows that have expired (the sweep's selection); `nowSeconds` is bound to its `?`.
    let expiredCondition: String

    init(column: ColumnRef, fieldIndex: Int) {
        self.column = column
        self.fieldIndex = fieldIndex
        liveCondition = "\(column.sql) IS NULL OR \(column.sql) > ?"
        expiredCondition = "\(column.sql) <= ?"
    }

    /// True when `row` has expired at `nowSeconds`.
    func isExpired(_ row: StoredRow, nowSeconds: Int64) -> Bool {
        guard case .int(let ttl) = row.values[fieldIndex] else { return false }
        return ttl <= nowSeconds
    }
}
