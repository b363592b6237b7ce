import TideModel

/// One queued local write (ARCHITECTURE §9.1), and its life as a state machine:
///
/// ```
///            startSending             acknowledged
///  pending ───────────────► inFlight ─────────────► (removed)
///     ▲  ▲                    │  │ │
///     │  └─ failTransiently ──┘  │ └─ resend (a conflict resolved: send again at once)
///     │     (backoff)            │
///     │                    park  ▼
///     └──────── retry ────── parked ──── discard ──► (removed; the server's copy restored)
/// ```
/// A restart turns an entry left `inFlight` back into `pending` (``recoverAfterRestart()``);
/// its `attempts` remember that it may have reached the server.
public struct OutboxEntry: Sendable, Hashable {
    public enum Operation: String, Sendable, Hashable {
        case create, update, delete
    }

    public enum State: String, Sendable, Hashable {
        /// Waiting to be sent (at `nextAttemptAt`).
        case pending
        /// Sent; the answer has not been applied yet.
        case inFlight = "inflight"
        /// Refused for good (`reason`); later entries of the same record wait behind it.
        case parked
    }

    /// A transition the current state does not allow.
    public struct InvalidTransition: Error, Sendable, Hashable, CustomStringConvertible {
        public var from: State
        public var event: String
        public var description: String { "outbox entry: \(event) is not allowed while \(from.rawValue)" }
    }

    /// Position in the outbox: entries of one record are sent in this order.
    public let id: Int64
    public let model: String
    public let recordID: String
    public internal(set) var operation: Operation
    /// The fields a create sets or an update changes (empty for a delete).
    public internal(set) var fields: [String: JSONValue]
    /// The server `_version` the write was made on; nil for a create, and for writes made on
    /// top of a create not yet acknowledged (they take the create's version when it is).
    public internal(set) var baseVersion: Int64?
    public internal(set) var state: State
    /// Sends started: above zero, the write may already have reached the server.
    public internal(set) var attempts: Int
    /// Conflicts resolved by sending again; bounded by the client's `maxConflictRetries`.
    public internal(set) var conflictRetries: Int
    /// Epoch milliseconds before which a pending entry is not sent (backoff).
    public internal(set) var nextAttemptAt: Int64
    /// Why it was parked, or why the last send failed.
    public internal(set) var reason: String?
    /// Epoch milliseconds of the local write.
    public let createdAt: Int64

    init(
        id: Int64, model: String, recordID: String, operation: Operation, fields: [String: JSONValue], baseVersion: Int64?,
        state: State = .pending, attempts: Int = 0, conflictRetries: Int = 0, nextAttemptAt: Int64 = 0, reason: String? = nil,
        createdAt: Int64
    ) {
        self.id = id
        self.model = model
        self.recordID = recordID
        self.operation = operation
        self.fields = fields
        self.baseVersion = baseVersion
        self.state = state
        self.attempts = attempts
        self.conflictRetries = conflictRetries
        self.nextAttemptAt = nextAttemptAt
        self.reason = reason
        self.createdAt = createdAt
    }

    /// A send of this entry may have reached the server (it was started, and its answer, if
    /// any, was not applied): a create answered "already exists" is then most likely ours.
    public var mayHaveBeenSent: Bool { attempts > 0 }

    mutating func startSending() throws(InvalidTransition) {
        guard state == .pending else { throw InvalidTransition(from: state, event: "startSending") }
        state = .inFlight
        attempts += 1
    }

    /// A failure worth retrying (network, 5xx, 429): pending again after `delay` seconds.
    mutating func failTransiently(reason: String, now: Int64, delay: Double) throws(InvalidTransition) {
        guard state == .inFlight else { throw InvalidTransition(from: state, event: "failTransiently") }
        state = .pending
        self.reason = reason
        nextAttemptAt = now + Int64(delay * 1000)
    }

    /// A refusal that retrying will not change.
    mutating func park(reason: String) throws(InvalidTransition) {
        guard state == .inFlight else { throw InvalidTransition(from: state, event: "park") }
        state = .parked
        self.reason = reason
    }

    /// A conflict was resolved into another write to send at once (on the server's version).
    mutating func resend(operation: Operation, fields: [String: JSONValue], baseVersion: Int64?, now: Int64) throws(InvalidTransition) {
        guard state == .inFlight else { throw InvalidTransition(from: state, event: "resend") }
        state = .pending
        self.operation = operation
        self.fields = fields
        self.baseVersion = baseVersion
        conflictRetries += 1
        nextAttemptAt = now
    }

    /// The app asks for a parked entry to be sent again.
    mutating func retry() throws(InvalidTransition) {
        guard state == .parked else { throw InvalidTransition(from: state, event: "retry") }
        state = .pending
        conflictRetries = 0
        nextAttemptAt = 0
    }

    /// After a restart: a send that was under way when the process ended is pending again.
    mutating func recoverAfterRestart() {
        if state == .inFlight { state = .pending }
    }

    /// Only a parked entry is discarded (a pending one is on its way, an in-flight one may have landed).
    var canDiscard: Bool { state == .parked }

    /// The entry as JSON (`tide outbox`).
    public var json: JSONValue {
        [
            "id": .int(id), "model": .string(model), "recordId": .string(recordID), "op": .string(operation.rawValue),
            "state": .string(state == .parked ? "parked" : "pending"), "attempts": .int(Int64(attempts)),
            "reason": reason.map(JSONValue.string) ?? .null,
        ]
    }
}

/// How a new local write combines with the record's last queued entry before anything is sent
/// (ARCHITECTURE §9.1): create+update → create; create+…+delete → nothing; update+update → one
/// update; update+delete → delete. Only an entry that was never sent and waits in `pending`
/// takes part (a send may have landed; a parked entry keeps what was refused), and an update or
/// delete only joins one made on the same server version.
enum Coalescing {
    enum Decision: Equatable {
        /// Queue the write as a new entry.
        case append
        /// The last entry becomes this write.
        case replace(operation: OutboxEntry.Operation, fields: [String: JSONValue])
        /// The last entry (a create never sent) and this delete cancel out: nothing is sent.
        case dropLast
    }

    static func decide(
        last: OutboxEntry?, operation: OutboxEntry.Operation, fields: [String: JSONValue], baseVersion: Int64?
    ) -> Decision {
        guard let last, last.state == .pending, last.attempts == 0 else { return .append }
        switch (last.operation, operation) {
        case (.create, .update):
            return .replace(operation: .create, fields: last.fields.merging(fields) { _, new in new })
        case (.create, .delete):
            return .dropLast
        case (.update, .update) where last.baseVersion == baseVersion:
            return .replace(operation: .update, fields: last.fields.merging(fields) { _, new in new })
        case (.update, .delete) where last.baseVersion == baseVersion:
            return .replace(operation: .delete, fields: [:])
        default:
            return .append
        }
    }
}
