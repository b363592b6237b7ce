/// What the SQLite layer throws.
public enum SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A SQLite call failed with this extended result code (see ``ResultCode``) and message
    /// (for a statement that did not prepare, followed by its SQL text).
    case sqlite(code: Int32, message: String)
    /// SQLite refused to prepare a statement for its size (its parser stack, expression depth,
    /// number of variables or terms); `limit` is SQLite's message.
    case tooLarge(limit: String)
    /// The pool or database was closed.
    case closed
    /// The database records more migrations than this build knows: a newer build wrote it.
    case newerVersion(database: String, applied: Int, known: Int)

    public var description: String {
        switch self {
        case .sqlite(let code, let message): "SQLite error \(code): \(message)"
        case .tooLarge(let limit): "the statement is too large for SQLite (\(limit))"
        case .closed: "the database is closed"
        case .newerVersion(let database, let applied, let known):
            "the \(database) database was written by a newer build (format \(applied); this build knows up to \(known))"
        }
    }
}

/// An error type that can carry a ``SQLiteError``, so that code with errors of its own can run
/// SQLite calls (``wrapping(_:)``), and closures on a pooled connection or in a transaction that
/// throw its errors.
///
/// ```swift
/// enum LedgerError: SQLiteErrorWrapping {
///     case unknownDelivery(String)
///     case sqlite(SQLiteError)
///     init(_ error: SQLiteError) { self = .sqlite(error) }
/// }
///
/// func markDelivered(_ id: String) throws(LedgerError) {
///     try connection.transaction(.immediate) { connection throws(LedgerError) in
///         let changed = try LedgerError.wrapping(
///             connection.run("UPDATE \"deliveries\" SET \"done\" = 1 WHERE \"id\" = ?", [.text(id)]))
///         guard changed > 0 else { throw .unknownDelivery(id) }  // rolls the transaction back
///     }
/// }
/// ```
public protocol SQLiteErrorWrapping: Error {
    init(_ error: SQLiteError)
}

extension SQLiteErrorWrapping {
    /// Evaluates `body` (one SQLite call), throwing its failure as `Self`. An autoclosure: a
    /// closure literal would need its thrown type spelled out (`{ () throws(SQLiteError) in … }`).
    @inlinable
    @discardableResult
    public static func wrapping<T>(_ body: @autoclosure () throws(SQLiteError) -> T) throws(Self) -> T {
        do {
            return try body()
        } catch {
            throw Self(error)
        }
    }
}

extension SQLiteError: SQLiteErrorWrapping {
    public init(_ error: SQLiteError) { self = error }
}
