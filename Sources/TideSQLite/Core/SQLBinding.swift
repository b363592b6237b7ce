/// A value bound to a `?` parameter.
///
/// ```swift
/// try connection.run("UPDATE \"users\" SET \"email\" = ? WHERE \"id\" = ?", [email.map(SQLBinding.text) ?? .null, .text(id)])
/// ```
public enum SQLBinding: Hashable, Sendable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// Text given as raw bytes (used for the exclusive upper bound of a prefix range, which
    /// need not be valid UTF-8; SQLite's BINARY collation compares bytes either way).
    case textBytes([UInt8])
}
