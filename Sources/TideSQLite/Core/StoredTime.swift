import Foundation

/// How Tidewater's databases store a time: SQLite has no date type, so times are INTEGER epoch
/// milliseconds (rounded down), the migration ledger's `applied_at` among them.
///
/// ```swift
/// try connection.run("DELETE FROM \"sessions\" WHERE \"expires_at\" < ?", [.int(StoredTime.milliseconds(now))])
/// let createdAt = StoredTime.date(milliseconds: row.int64(3))
/// ```
public enum StoredTime {
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
