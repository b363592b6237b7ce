import TideModel

/// What became of one send, decided outside the database and applied in a batch transaction
/// (``LocalStore/applyOutcomes(_:)``).
enum SendOutcome: Sendable {
    /// The server took the write; its answer is the record's new server copy.
    case acknowledged(Record)
    /// The record is gone on the server (a delete of a deleted record; an update or create
    /// settled in favour of a server-side delete): the entry is done, the record removed.
    case settledDeleted
    /// Try again later (network, 5xx, 429); `unreachable` when no answer came at all.
    case transient(reason: String, retryAfter: Double?, unreachable: Bool)
    /// The access token was refused: pending again at once, after a refresh.
    case unauthenticated
    /// Refused for good; `server` is the server's copy when the answer carried one.
    case parked(reason: String, server: Record?)
    /// A conflict resolved into another write, sent at once on `server`'s version.
    case resend(operation: OutboxEntry.Operation, fields: [String: JSONValue], server: Record)
    /// A conflict resolved in the server's favour: the entry is dropped, `server` kept.
    case dropped(server: Record)
}

/// A send's outcome with the conflict resolution to record, if any.
struct SentEntry: Sendable {
    var entry: OutboxEntry
    var outcome: SendOutcome
    var resolution: PendingResolution?
}

/// A conflict resolution before it is stored (the store gives it its id and time).
struct PendingResolution: Sendable, Hashable {
    var strategy: String
    var outcome: String
    var detail: String?
    var serverVersion: Int64?
}
