import TideModel
import TideSQLite

/// Everything the store can throw. Write errors that concern one record (`notFound`,
/// `alreadyExists`, `conditionFailed`, `versionConflict`, `invalidValue`) fail only that write;
/// the other writes committed in the same batch are unaffected.
public enum StoreError: Error, Sendable {
    case unknownModel(String)
    case notFound(model: String, id: String)
    case alreadyExists(model: String, id: String)
    /// The write's condition did not hold; `current` is the stored record (nil on create).
    case conditionFailed(current: Record?)
    /// `expectedVersion` differed from the stored `_version`; `current` is the stored record.
    case versionConflict(current: Record)
    /// The record exists but the write's authorization requirement does not hold on it.
    case forbidden(model: String, id: String)
    case invalidValue(field: String, reason: String)
    case invalidQuery(String)
    /// The schema cannot be applied to the stored data, e.g.
    /// `["Note.priority: type changed from Int to String"]`.
    case incompatibleSchema([String])
    /// The store was closed.
    case closed
    /// The disk holding the data folder is full (`SQLITE_FULL`): the write was rolled back and
    /// not saved; the writer goes on, and writes succeed again once space is freed.
    case storageFull
    case sqlite(code: Int32, message: String)
}

/// SQLite failures as the store reports them, so store code runs SQLite calls through
/// `StoreError.wrapping(…)` and closures on transaction connections.
extension StoreError: SQLiteErrorWrapping {
    public init(_ error: SQLiteError) {
        switch error {
        case .sqlite(let code, _) where ResultCode.isFull(code): self = .storageFull
        case .sqlite(let code, let message): self = .sqlite(code: code, message: message)
        // Only a client's filter makes the store's SQL grow (a term per comparison and per
        // `in` value, a level per and/or/not): what SQLite still refuses after the filter
        // parser's bounds is the client's request, not the server's fault.
        case .tooLarge(let limit):
            self = .invalidQuery("the filter is too large or too deeply nested for the store (\(limit))")
        case .closed: self = .closed
        case .newerVersion(let database, let applied, let known):
            self = .incompatibleSchema([
                "the data folder was written by a newer Tidewater (\(database) format \(applied); this build knows up to \(known))"
            ])
        }
    }
}

extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknownModel(let name): "unknown model '\(name)'"
        case .notFound(let model, let id): "\(model) '\(id)' not found"
        case .alreadyExists(let model, let id): "\(model) '\(id)' already exists"
        case .conditionFailed: "the condition did not hold"
        case .forbidden(let model, let id): "not authorized to change \(model) '\(id)'"
        case .versionConflict(let current): "version conflict: the stored version is \(current.version)"
        case .invalidValue(let field, let reason): "invalid value for '\(field)': \(reason)"
        case .invalidQuery(let message): "invalid query: \(message)"
        case .incompatibleSchema(let problems): "the schema is incompatible with the stored data: " + problems.joined(separator: "; ")
        case .closed: "the store is closed"
        case .storageFull: "the disk holding the data folder is full"
        case .sqlite(let code, let message): "SQLite error \(code): \(message)"
        }
    }
}
