import TideModel

/// A record as the local store holds it: the server's copy with this device's pending writes
/// applied (optimistic), ready to show.
public struct ClientRecord: Sendable, Hashable {
    public let model: String
    /// Every value by its GraphQL field name: `id`, the model's fields, and the metadata the
    /// server keeps (`_version`, `_lastChangedAt`, `_deleted`, `createdAt`, `updatedAt`) once
    /// the server has seen the record. Absent keys are null. What filters are evaluated against.
    public let values: [String: JSONValue]
    /// Local writes of this record are still in the outbox (pending or parked).
    public let hasPendingChanges: Bool

    init(model: String, values: [String: JSONValue], hasPendingChanges: Bool) {
        self.model = model
        self.values = values
        self.hasPendingChanges = hasPendingChanges
    }

    public var id: String { values[Record.MetaField.id]?.stringValue ?? "" }
    /// The server's `_version` this copy builds on; nil for a local create not yet acknowledged.
    public var version: Int64? { values[Record.MetaField.version]?.intValue }

    /// The record as one JSON object (`tide get`): the values, plus `_pending` when local writes wait.
    public var json: JSONValue {
        var object = values
        if hasPendingChanges { object["_pending"] = .bool(true) }
        return .object(object)
    }

    public subscript(field: String) -> JSONValue? { values[field] }
}
