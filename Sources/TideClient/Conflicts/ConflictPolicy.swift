import TideModel

/// How a model's conflicts are settled when the server refuses a write made on an older
/// `_version` (`ConflictUnhandled`, ARCHITECTURE §9.1). Set per model in
/// ``TideClient/Configuration/conflictStrategies``; without one, an OPTIMISTIC_CONCURRENCY model
/// uses ``serverWins`` and an AUTOMERGE model ``merge``.
///
/// ```swift
/// configuration.conflictStrategies["Post"] = .custom { conflict in
///     guard let server = conflict.server else { return .discard }        // deleted on the server
///     var fields = conflict.localFields
///     fields["title"] = server["title"]                                   // keep their title
///     return .merged(fields)                                              // send the rest on their version
/// }
/// ```
public enum ConflictPolicy: Sendable {
    /// The server's record stays; the local write is dropped (and recorded).
    case serverWins
    /// The local write is sent again on the server's `_version` (a delete deletes anyway).
    case clientWins
    /// The shared AUTOMERGE rules (`TideModel.AutoMerge`) merge the local write into the server's
    /// record, and the result is sent on its `_version`; a delete is sent again (a delete has no
    /// fields to merge). The default for AUTOMERGE models, where the server merges stale updates
    /// itself and only deletes and id collisions reach the client.
    case merge
    /// The app decides, per conflict. Called outside any transaction; may suspend.
    case custom(ConflictHandler)

    var name: String {
        switch self {
        case .serverWins: "serverWins"
        case .clientWins: "clientWins"
        case .merge: "merge"
        case .custom: "custom"
        }
    }

    /// The strategy a model gets when the app names none.
    static func `default`(for model: ModelType) -> ConflictPolicy {
        model.conflictStrategy == .optimisticConcurrency ? .serverWins : .merge
    }
}

/// An app's conflict handler: called with each conflict, returns what to do with the local write.
public typealias ConflictHandler = @Sendable (Conflict) async -> ConflictResolution

/// A local write the server refused because the record moved on.
public struct Conflict: Sendable {
    public let model: String
    public let id: String
    /// What the local write does.
    public let operation: OutboxEntry.Operation
    /// The fields the local write sets (empty for a delete).
    public let localFields: [String: JSONValue]
    /// The record as the app sees it locally (nil when it is deleted locally).
    public let local: ClientRecord?
    /// The server's current record by GraphQL field name (metadata included); nil when the
    /// server has deleted it, or the caller may no longer read it.
    public let server: [String: JSONValue]?
    /// How many times this write has been resolved and sent again already.
    public let retries: Int
}

/// What a ``ConflictHandler`` decides.
public enum ConflictResolution: Sendable, Hashable {
    /// Send these fields as an update on the server's `_version`.
    case merged([String: JSONValue])
    /// Drop the local write: the server's record stays.
    case discard
    /// Send the local write again unchanged on the server's `_version`.
    case retry
}

/// One recorded conflict resolution (ARCHITECTURE §9.1: every resolution is recorded and
/// readable by the app; `tide conflicts`).
public struct ConflictRecord: Sendable, Hashable {
    public let id: Int64
    /// Epoch milliseconds.
    public let at: Int64
    public let model: String
    public let recordID: String
    public let operation: String
    /// The server version the local write was made on (nil for a create).
    public let localVersion: Int64?
    /// The server's version when the conflict was seen (nil when deleted there).
    public let serverVersion: Int64?
    /// `serverWins`, `clientWins`, `merge`, `custom`, or `server-automerge` (the server merged
    /// a stale update and reported dropped fields).
    public let strategy: String
    /// What happened: `server kept`, `resent`, `merged`, `acknowledged`, `parked`, …
    public let outcome: String
    public let detail: String?

    public var json: JSONValue {
        [
            "id": .int(id), "at": .int(at), "model": .string(model), "recordId": .string(recordID), "op": .string(operation),
            "localVersion": localVersion.map(JSONValue.int) ?? .null, "serverVersion": serverVersion.map(JSONValue.int) ?? .null,
            "strategy": .string(strategy), "outcome": .string(outcome), "detail": detail.map(JSONValue.string) ?? .null,
        ]
    }
}
