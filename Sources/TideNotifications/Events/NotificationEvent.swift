import TideModel
import TideStore

/// What filter policies and templates see of a change: `{op, model, id, actor, seq, time, new,
/// old}` (`time` in epoch milliseconds, as the feed keeps it; `new`/`old` absent where the
/// change has no such image).
public struct NotificationEvent: Sendable, Hashable {
    public var operation: EventOperation
    public var model: String
    public var id: String
    public var actor: String
    public var seq: Int64
    public var time: Int64
    public var new: [String: JSONValue]?
    public var old: [String: JSONValue]?

    public init(
        operation: EventOperation, model: String, id: String, actor: String, seq: Int64, time: Int64,
        new: [String: JSONValue]?, old: [String: JSONValue]?
    ) {
        self.operation = operation
        self.model = model
        self.id = id
        self.actor = actor
        self.seq = seq
        self.time = time
        self.new = new
        self.old = old
    }

    /// The event of a feed entry: an insert is `create`, a modify `update`, a remove `delete`, or
    /// `expire` when the TTL sweeper removed the record.
    public init(_ entry: FeedEntry) {
        let operation: EventOperation =
            switch entry.operation {
            case .insert: .create
            case .modify: .update
            case .remove: entry.reason == "ttl" ? .expire : .delete
            }
        self.init(
            operation: operation, model: entry.model, id: entry.id, actor: entry.actor, seq: entry.seq,
            time: entry.timestamp, new: entry.newImage, old: entry.oldImage)
    }

    /// The event as JSON, the document policies and templates are applied to.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "op": .string(operation.rawValue), "model": .string(model), "id": .string(id),
            "actor": .string(actor), "seq": .int(seq), "time": .int(time),
        ]
        if let new { object["new"] = .object(new) }
        if let old { object["old"] = .object(old) }
        return .object(object)
    }

    /// The names the event has at its top level (what a filter's first key may be).
    public static let topLevelKeys: Set<String> = ["op", "model", "id", "actor", "seq", "time", "new", "old"]
}
